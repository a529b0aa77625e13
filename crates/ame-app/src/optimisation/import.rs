//! `ame outcomes import`: a campaign's outcome records from a CSV file, checked in full before
//! anything is written, then written in one transaction (all or nothing).
//!
//! Columns: `email` (required), `group` (`treatment` when left out), `clicked` and `converted`
//! (`true`/`false`/`1`/`0`, false when empty), `value` (a decimal, only with `converted`), and
//! `variant:FIELD` for each tested field (the variant index shown).

use crate::contacts::MAX_IMPORT_ERRORS;
use crate::contacts::open_email_csv;
use crate::engine::Engine;
use crate::error::AppResult;
use ame_domain::{CampaignId, FieldError, Group, NewOutcome, OrgId, validate_outcomes};
use ame_storage::ImportedOutcome;
use std::collections::BTreeMap;
use std::path::Path;

/// What an outcome import did, or why it wrote nothing.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct OutcomeFileReport {
    /// Data rows read.
    pub rows: u64,
    /// Records written (new or replaced).
    pub recorded: u64,
    /// Row errors (at most [`MAX_IMPORT_ERRORS`]); when any, nothing was written.
    pub errors: Vec<FieldError>,
}

fn flag(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "" | "0" | "false" | "no" => Ok(false),
        "1" | "true" | "yes" => Ok(true),
        other => Err(format!("must be true or false (or 1/0); got `{other}`")),
    }
}

fn outcome_from_row(
    headers: &csv::StringRecord,
    row: &csv::StringRecord,
    line: usize,
) -> Result<NewOutcome, Vec<FieldError>> {
    let mut out = NewOutcome {
        email: String::new(),
        group: Group::Treatment,
        variants: BTreeMap::new(),
        clicked: false,
        converted: false,
        value: None,
        converted_before_assignment: false,
    };
    let mut errors = Vec::new();
    for (name, value) in headers.iter().zip(row.iter()) {
        let value = value.trim();
        let field = |f: &str| format!("line {line}.{f}");
        match name {
            "email" => out.email = value.to_owned(),
            "group" if !value.is_empty() => match value.parse() {
                Ok(g) => out.group = g,
                Err(e) => errors.push(FieldError::new(field("group"), format!("{e}"))),
            },
            "clicked" => match flag(value) {
                Ok(v) => out.clicked = v,
                Err(e) => errors.push(FieldError::new(field("clicked"), e)),
            },
            "converted" => match flag(value) {
                Ok(v) => out.converted = v,
                Err(e) => errors.push(FieldError::new(field("converted"), e)),
            },
            "converted_before_assignment" => match flag(value) {
                Ok(v) => out.converted_before_assignment = v,
                Err(e) => errors.push(FieldError::new(field("converted_before_assignment"), e)),
            },
            "value" if !value.is_empty() => match value.parse() {
                Ok(v) => out.value = Some(v),
                Err(_) => errors.push(FieldError::new(
                    field("value"),
                    format!("must be a decimal number such as 25.00; got `{value}`"),
                )),
            },
            other if other.starts_with("variant:") && !value.is_empty() => {
                match value.parse::<u32>() {
                    Ok(v) => {
                        out.variants.insert(other["variant:".len()..].to_owned(), v);
                    }
                    Err(_) => errors.push(FieldError::new(
                        field(other),
                        format!("must be a variant index (0, 1, 2, …); got `{value}`"),
                    )),
                }
            }
            _ => {}
        }
    }
    if errors.is_empty() {
        // One-row check of the same rules the API applies, renamed to the file's line.
        validate_outcomes(std::slice::from_ref(&out)).map_err(|e| {
            e.errors
                .into_iter()
                .map(|f| {
                    FieldError::new(
                        f.field.replacen("[0]", &format!("line {line}"), 1),
                        f.message,
                    )
                })
                .collect::<Vec<_>>()
        })?;
        Ok(out)
    } else {
        Err(errors)
    }
}

impl Engine {
    /// Imports a campaign's outcomes from a CSV file for `org` (the command line).
    pub async fn import_outcomes_file(
        &self,
        org: OrgId,
        campaign: CampaignId,
        path: &Path,
    ) -> AppResult<OutcomeFileReport> {
        let repos = self.service_repos();
        repos.campaigns.get(org, campaign).await?;
        let (mut reader, headers) = open_email_csv(
            path,
            "group, clicked, converted, value, converted_before_assignment, variant:FIELD",
        )?;
        let mut report = OutcomeFileReport::default();
        let mut resolved = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, row) in reader.records().enumerate() {
            report.rows += 1;
            let line = i + 2;
            let parsed = row
                .map_err(|e| {
                    vec![FieldError::new(
                        format!("line {line}"),
                        format!("is not valid CSV: {e}"),
                    )]
                })
                .and_then(|row| outcome_from_row(&headers, &row, line));
            let outcome = match parsed {
                Ok(o) => o,
                Err(errors) => {
                    let room = MAX_IMPORT_ERRORS.saturating_sub(report.errors.len());
                    report.errors.extend(errors.into_iter().take(room));
                    continue;
                }
            };
            let Some(contact) = repos.contacts.find_by_email(org, &outcome.email).await? else {
                if report.errors.len() < MAX_IMPORT_ERRORS {
                    report.errors.push(FieldError::new(
                        format!("line {line}.email"),
                        format!("`{}` names no contact of this organization", outcome.email),
                    ));
                }
                continue;
            };
            if !seen.insert(contact.id) {
                if report.errors.len() < MAX_IMPORT_ERRORS {
                    report.errors.push(FieldError::new(
                        format!("line {line}.email"),
                        "repeats a contact of an earlier line",
                    ));
                }
                continue;
            }
            resolved.push(ImportedOutcome {
                contact: contact.id,
                group: outcome.group,
                variants: outcome.variants,
                clicked: outcome.clicked,
                converted: outcome.converted,
                value: outcome.value,
                converted_before: outcome.converted_before_assignment,
            });
        }
        if report.rows == 0 {
            report
                .errors
                .push(FieldError::new("file", "has no data rows"));
        }
        if !report.errors.is_empty() {
            return Ok(report);
        }
        report.recorded = repos
            .optimisation
            .import_outcomes(org, campaign, resolved, self.now())
            .await?;
        self.schedule_retraining(org).await?;
        self.refresh_tested_fields(org, campaign).await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(header: &str, line: &str) -> Result<NewOutcome, Vec<FieldError>> {
        let headers = csv::StringRecord::from(header.split(',').collect::<Vec<_>>());
        let row = csv::StringRecord::from(line.split(',').collect::<Vec<_>>());
        outcome_from_row(&headers, &row, 2)
    }

    #[test]
    fn rows_read_groups_flags_values_and_variants() {
        let o = parse(
            "email,group,clicked,converted,value,variant:email_subject_step_1",
            "a@example.com,treatment,1,true,25.50,2",
        )
        .unwrap();
        assert_eq!(o.group, Group::Treatment);
        assert!(o.clicked && o.converted);
        assert_eq!(o.value, Some("25.50".parse().unwrap()));
        assert_eq!(o.variants["email_subject_step_1"], 2);
        let bad = parse("email,group,clicked,value", "a@example.com,vip,maybe,ten").unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["line 2.group", "line 2.clicked", "line 2.value"]);
        let value_without_conversion = parse("email,value", "a@example.com,3").unwrap_err();
        assert_eq!(value_without_conversion[0].field, "line 2.value");
    }
}
