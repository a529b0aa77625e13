//! Turning a contact's attributes and engagement into model columns.
//!
//! Numbers stay numbers (a missing one takes the training mean and sets a `…=missing`
//! indicator); a non-negative number with more than two distinct values whose training values
//! are right-skewed (skewness above 0.5, the usual mark of a moderate skew: amounts, days since
//! an event, shares) also gets a `log1p(…)` column, so the model can follow diminishing effects.
//! Booleans become 0/1, text becomes one indicator per level seen in at least
//! `max(5, 1%)` of the training rows with the rarer levels pooled into `…=other`. Engagement
//! adds sends, clicks, conversions and the days since the last click and conversion (a contact
//! who never did either gets the largest value seen plus a `never_…` indicator). Every column is
//! then standardised with its training mean and standard deviation; constant columns are dropped.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One attribute value of a contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttributeValue {
    /// A number.
    Number(f64),
    /// A yes/no value.
    Bool(bool),
    /// A category.
    Text(String),
}

/// What AME knows of a contact's engagement with the organization's past campaigns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Engagement {
    /// Messages sent to the contact.
    pub sends: f64,
    /// Campaigns the contact clicked in.
    pub clicks: f64,
    /// Campaigns the contact converted in.
    pub conversions: f64,
    /// Days since the last click, if there was one.
    pub days_since_click: Option<f64>,
    /// Days since the last conversion, if there was one.
    pub days_since_conversion: Option<f64>,
}

/// The raw inputs of one contact.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactInputs {
    /// Attributes by name.
    pub attributes: BTreeMap<String, AttributeValue>,
    /// Engagement with earlier campaigns.
    pub engagement: Engagement,
}

/// Where a column's raw value comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A numeric attribute (missing → `fill`).
    Number {
        /// Attribute name.
        attribute: String,
        /// Value used when it is missing.
        fill: f64,
    },
    /// `ln(1 + x)` of a non-negative, right-skewed numeric attribute (missing → `fill`).
    LogNumber {
        /// Attribute name.
        attribute: String,
        /// Value of `x` used when it is missing.
        fill: f64,
    },
    /// 1 when a numeric attribute is missing.
    Missing {
        /// Attribute name.
        attribute: String,
    },
    /// A boolean attribute (missing → 0).
    Flag {
        /// Attribute name.
        attribute: String,
    },
    /// 1 when a text attribute has this level.
    Level {
        /// Attribute name.
        attribute: String,
        /// The level.
        level: String,
    },
    /// 1 when a text attribute has a level outside `known`.
    Other {
        /// Attribute name.
        attribute: String,
        /// Levels with their own column.
        known: BTreeSet<String>,
    },
    /// An engagement figure.
    Engagement {
        /// `sends`, `clicks`, `conversions`, `days_since_click`, `days_since_conversion`,
        /// `never_clicked` or `never_converted`.
        measure: String,
        /// Value used for a missing recency.
        fill: f64,
    },
}

/// One standardised model column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Readable name (`propresp`, `region=north`, `never_clicked`).
    pub name: String,
    /// Where its value comes from.
    pub source: Source,
    /// Training mean of the raw value.
    pub mean: f64,
    /// Training standard deviation of the raw value.
    pub sd: f64,
}

/// The columns learned from training rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    /// The columns, in model order.
    pub columns: Vec<Column>,
}

fn raw(source: &Source, inputs: &ContactInputs) -> f64 {
    let attribute = |name: &str| inputs.attributes.get(name);
    match source {
        Source::Number { attribute: a, fill } => match attribute(a) {
            Some(AttributeValue::Number(v)) if v.is_finite() => *v,
            _ => *fill,
        },
        Source::LogNumber { attribute: a, fill } => match attribute(a) {
            Some(AttributeValue::Number(v)) if v.is_finite() && *v >= 0.0 => v.ln_1p(),
            Some(AttributeValue::Number(v)) if v.is_finite() => 0.0,
            _ => fill.ln_1p(),
        },
        Source::Missing { attribute: a } => f64::from(u8::from(
            !matches!(attribute(a), Some(AttributeValue::Number(v)) if v.is_finite()),
        )),
        Source::Flag { attribute: a } => f64::from(u8::from(matches!(
            attribute(a),
            Some(AttributeValue::Bool(true))
        ))),
        Source::Level {
            attribute: a,
            level,
        } => f64::from(u8::from(
            matches!(attribute(a), Some(AttributeValue::Text(t)) if t == level),
        )),
        Source::Other {
            attribute: a,
            known,
        } => f64::from(u8::from(
            matches!(attribute(a), Some(AttributeValue::Text(t)) if !known.contains(t)),
        )),
        Source::Engagement { measure, fill } => {
            let e = &inputs.engagement;
            match measure.as_str() {
                "sends" => e.sends,
                "clicks" => e.clicks,
                "conversions" => e.conversions,
                "days_since_click" => e.days_since_click.unwrap_or(*fill),
                "days_since_conversion" => e.days_since_conversion.unwrap_or(*fill),
                "never_clicked" => f64::from(u8::from(e.days_since_click.is_none())),
                "never_converted" => f64::from(u8::from(e.days_since_conversion.is_none())),
                _ => 0.0,
            }
        }
    }
}

/// Skewness above which a non-negative number also gets a `log1p` column.
const SKEWNESS_FOR_LOG: f64 = 0.5;

/// Whether the values take more than two distinct values (a 0/1 flag's log adds nothing).
fn has_more_than_two_values(values: &[f64]) -> bool {
    let mut seen: Vec<f64> = Vec::with_capacity(3);
    for v in values {
        if !seen.contains(v) {
            seen.push(*v);
            if seen.len() > 2 {
                return true;
            }
        }
    }
    false
}

/// The sample skewness (third standardised moment); 0 for constant values.
fn skewness(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    if n < 3.0 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / n;
    let m2 = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let m3 = values.iter().map(|v| (v - mean).powi(3)).sum::<f64>() / n;
    if m2 <= 0.0 { 0.0 } else { m3 / m2.powf(1.5) }
}

#[derive(Default)]
struct AttributeStats {
    numbers: Vec<f64>,
    missing_numbers: usize,
    flags: usize,
    levels: BTreeMap<String, usize>,
}

impl Encoder {
    /// Learns the columns from training rows.
    pub fn learn(rows: &[&ContactInputs]) -> Encoder {
        let n = rows.len();
        let mut stats: BTreeMap<&str, AttributeStats> = BTreeMap::new();
        for row in rows {
            for (name, value) in &row.attributes {
                let s = stats.entry(name.as_str()).or_default();
                match value {
                    AttributeValue::Number(v) if v.is_finite() => s.numbers.push(*v),
                    AttributeValue::Number(_) => s.missing_numbers += 1,
                    AttributeValue::Bool(_) => s.flags += 1,
                    AttributeValue::Text(t) => *s.levels.entry(t.clone()).or_default() += 1,
                }
            }
        }
        let rare = 5.max(n / 100);
        let mut sources = Vec::new();
        for (name, s) in &stats {
            // An attribute is read as the kind most of its values have.
            let kinds = [s.numbers.len(), s.flags, s.levels.values().sum()];
            let attribute = (*name).to_owned();
            if kinds[0] >= kinds[1] && kinds[0] >= kinds[2] && kinds[0] > 0 {
                let fill = s.numbers.iter().sum::<f64>() / s.numbers.len() as f64;
                sources.push((
                    attribute.clone(),
                    Source::Number {
                        attribute: attribute.clone(),
                        fill,
                    },
                ));
                if s.numbers.iter().all(|v| *v >= 0.0)
                    && has_more_than_two_values(&s.numbers)
                    && skewness(&s.numbers) > SKEWNESS_FOR_LOG
                {
                    sources.push((
                        format!("log1p({name})"),
                        Source::LogNumber {
                            attribute: attribute.clone(),
                            fill,
                        },
                    ));
                }
                if s.numbers.len() < n {
                    sources.push((format!("{name}=missing"), Source::Missing { attribute }));
                }
            } else if kinds[1] >= kinds[2] && kinds[1] > 0 {
                sources.push((attribute.clone(), Source::Flag { attribute }));
            } else {
                let mut known = BTreeSet::new();
                for (level, count) in &s.levels {
                    if *count >= rare {
                        known.insert(level.clone());
                        sources.push((
                            format!("{name}={level}"),
                            Source::Level {
                                attribute: attribute.clone(),
                                level: level.clone(),
                            },
                        ));
                    }
                }
                sources.push((format!("{name}=other"), Source::Other { attribute, known }));
            }
        }
        let days = |pick: fn(&Engagement) -> Option<f64>| {
            rows.iter()
                .filter_map(|r| pick(&r.engagement))
                .fold(0.0_f64, f64::max)
                + 1.0
        };
        let click_fill = days(|e| e.days_since_click);
        let conversion_fill = days(|e| e.days_since_conversion);
        for (measure, fill) in [
            ("sends", 0.0),
            ("clicks", 0.0),
            ("conversions", 0.0),
            ("days_since_click", click_fill),
            ("days_since_conversion", conversion_fill),
            ("never_clicked", 0.0),
            ("never_converted", 0.0),
        ] {
            sources.push((
                measure.to_owned(),
                Source::Engagement {
                    measure: measure.to_owned(),
                    fill,
                },
            ));
        }
        let columns = sources
            .into_iter()
            .filter_map(|(name, source)| {
                let values: Vec<f64> = rows.iter().map(|r| raw(&source, r)).collect();
                let mean = values.iter().sum::<f64>() / n.max(1) as f64;
                let variance =
                    values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n.max(1) as f64;
                let sd = variance.sqrt();
                (sd > 1e-12).then_some(Column {
                    name,
                    source,
                    mean,
                    sd,
                })
            })
            .collect();
        Encoder { columns }
    }

    /// The standardised columns of one contact, appended to `out`.
    pub fn encode_into(&self, inputs: &ContactInputs, out: &mut Vec<f64>) {
        out.extend(
            self.columns
                .iter()
                .map(|c| (raw(&c.source, inputs) - c.mean) / c.sd),
        );
    }

    /// The standardised matrix (row-major) of `rows`.
    pub fn encode(&self, rows: &[&ContactInputs]) -> Vec<f64> {
        let mut out = Vec::with_capacity(rows.len() * self.columns.len());
        for row in rows {
            self.encode_into(row, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(pairs: &[(&str, AttributeValue)]) -> ContactInputs {
        ContactInputs {
            attributes: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            engagement: Engagement::default(),
        }
    }

    #[test]
    fn skewed_amounts_also_get_a_log_column() {
        let rows: Vec<ContactInputs> = (0..200)
            .map(|i| {
                contact(&[
                    (
                        "gift",
                        AttributeValue::Number(if i % 20 == 0 { 500.0 } else { f64::from(i % 7) }),
                    ),
                    ("even", AttributeValue::Number(f64::from(i % 10))),
                    (
                        "flag",
                        AttributeValue::Number(f64::from(u8::from(i % 9 == 0))),
                    ),
                ])
            })
            .collect();
        let refs: Vec<&ContactInputs> = rows.iter().collect();
        let encoder = Encoder::learn(&refs);
        let names: Vec<&str> = encoder.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["even", "flag", "gift", "log1p(gift)"]);
        let mut out = Vec::new();
        encoder.encode_into(&rows[20], &mut out);
        let log = &encoder.columns[3];
        assert!((out[3] - (500f64.ln_1p() - log.mean) / log.sd).abs() < 1e-12);
    }

    #[test]
    fn numbers_are_standardised_and_rare_levels_pooled() {
        let mut rows = Vec::new();
        for i in 0..100 {
            let region = match i % 10 {
                0..=5 => "north",
                6..=8 => "south",
                _ if i < 30 => "east",
                _ => "west",
            };
            rows.push(contact(&[
                ("age", AttributeValue::Number(f64::from(i))),
                ("region", AttributeValue::Text(region.into())),
                ("vip", AttributeValue::Bool(i % 2 == 0)),
            ]));
        }
        let refs: Vec<&ContactInputs> = rows.iter().collect();
        let encoder = Encoder::learn(&refs);
        let names: Vec<&str> = encoder.columns.iter().map(|c| c.name.as_str()).collect();
        // east (3 rows) is rarer than 5 and joins `other` with west (7 rows); engagement
        // columns are constant here and dropped.
        assert_eq!(
            names,
            [
                "age",
                "region=north",
                "region=south",
                "region=west",
                "region=other",
                "vip"
            ]
        );
        let matrix = encoder.encode(&refs);
        let cols = names.len();
        let age_mean: f64 = matrix.iter().step_by(cols).sum::<f64>() / 100.0;
        assert!(age_mean.abs() < 1e-9);
        let unseen = contact(&[("region", AttributeValue::Text("mars".into()))]);
        let mut out = Vec::new();
        encoder.encode_into(&unseen, &mut out);
        let other = &encoder.columns[4];
        assert!((out[4] - (1.0 - other.mean) / other.sd).abs() < 1e-12);
        // A missing age takes the mean: standardised 0.
        assert!(out[0].abs() < 1e-12);
    }
}
