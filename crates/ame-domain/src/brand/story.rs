//! The optional story material of a brand profile: short benefits, pains, proof points,
//! testimonials, offers and the log-in link.

use super::web_url;
use crate::validation::{Collector, FieldError, text};
use serde::{Deserialize, Deserializer, Serialize};

/// Reads `T` only from a JSON object (serde would also take a struct written as an array).
pub(super) fn from_object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    if !value.is_object() {
        return Err(serde::de::Error::custom("must be a JSON object"));
    }
    serde_json::from_value(value).map_err(serde::de::Error::custom)
}

/// Reads a list of `T`, each only from a JSON object.
fn from_objects<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let items = Vec::<serde_json::Value>::deserialize(deserializer)?;
    items
        .into_iter()
        .map(|item| {
            if !item.is_object() {
                return Err(serde::de::Error::custom("each item must be a JSON object"));
            }
            serde_json::from_value(item).map_err(serde::de::Error::custom)
        })
        .collect()
}

/// A customer's words about the brand, quoted with their name and role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Testimonial {
    /// What they said (10 to 300 characters), without quotation marks.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 10,
            max_length = 300,
            example = "We closed March in three days."
        )
    )]
    pub quote: String,
    /// Who said it (2 to 80 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 2, max_length = 80, example = "Dana Ruiz")
    )]
    pub name: String,
    /// Their role or relationship, e.g. `Controller, Northfield Foods` (0 to 80 characters).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 80, example = "Controller, Northfield Foods")
    )]
    pub role: String,
}

/// What the brand offers, per kind of campaign; each part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Offers {
    /// The plan an upsell sells (2 to 40 characters), e.g. `Business`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 2, max_length = 40, example = "Business")
    )]
    pub upgrade_plan: Option<String>,
    /// What that plan adds to what customers have now, as a noun phrase (3 to 120
    /// characters), e.g. `priority support and custom month-end reports`. Upsell copy says
    /// what the upgrade adds only from this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 3,
            max_length = 120,
            example = "priority support and custom month-end reports"
        )
    )]
    pub upgrade_adds: Option<String>,
    /// Where that plan is bought: an absolute `http` or `https` URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 2000,
            pattern = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[!#-~]*)?$",
            example = "https://ledgerly.example/plans/business"
        )
    )]
    pub upgrade_url: Option<String>,
    /// What both sides of a referral get (3 to 100 characters), e.g. `a month free`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 3, max_length = 100, example = "a month free")
    )]
    pub referral_reward: Option<String>,
    /// What a lapsed customer gets for coming back (3 to 100 characters), e.g. `20% off your next month`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 3, max_length = 100, example = "20% off your next month")
    )]
    pub winback_incentive: Option<String>,
}

/// Most short benefits, pains or proof points a profile may list (each).
pub const MAX_BRAND_LIST: usize = 6;
/// Most testimonials a profile may hold.
pub const MAX_TESTIMONIALS: usize = 3;

/// The optional story material of a brand profile: short benefits for headlines, customer
/// pains, proof, testimonials, offers and the log-in address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BrandStory {
    /// Short forms of the benefits for headlines and search ads (up to 6, 3 to 30 characters).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 6, example = json!(["Close in 3 days", "Fewer audit surprises"])))]
    pub short_benefits: Vec<String>,
    /// What the audience struggles with, as noun phrases (up to 6, 3 to 160 characters).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 6, example = json!(["month-end overtime", "spreadsheet reconciliations"])))]
    pub pains: Vec<String>,
    /// Facts that back the claims (up to 6, 3 to 160 characters), e.g. `Used by 400 finance teams`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 6, example = json!(["Used by 400 finance teams"])))]
    pub proof_points: Vec<String>,
    /// Customers' words (up to 3).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "from_objects"
    )]
    #[cfg_attr(feature = "openapi", schema(max_items = 3))]
    pub testimonials: Vec<Testimonial>,
    /// Offers per kind of campaign.
    #[serde(default, deserialize_with = "from_object")]
    pub offers: Offers,
    /// Where existing customers log in (re-engagement links there): an absolute URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 2000,
            pattern = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[!#-~]*)?$",
            example = "https://app.ledgerly.example/login"
        )
    )]
    pub login_url: Option<String>,
}

impl BrandStory {
    /// Validates every part, trimming texts; problems go to `errors`.
    pub(super) fn validate(self, errors: &mut Collector) -> Option<BrandStory> {
        let mut ok = true;
        let mut list = |field: &str,
                        items: Vec<String>,
                        min: usize,
                        max: usize,
                        errors: &mut Collector|
         -> Vec<String> {
            if items.len() > MAX_BRAND_LIST {
                errors.push(FieldError::new(
                    field,
                    format!("must list at most {MAX_BRAND_LIST}; got {}", items.len()),
                ));
                ok = false;
                return Vec::new();
            }
            items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    let checked = errors.check(text(&format!("{field}[{i}]"), v, min, max));
                    ok &= checked.is_some();
                    checked
                })
                .collect()
        };
        let short_benefits = list("story.short_benefits", self.short_benefits, 3, 30, errors);
        let pains = list("story.pains", self.pains, 3, 160, errors);
        let proof_points = list("story.proof_points", self.proof_points, 3, 160, errors);
        if self.testimonials.len() > MAX_TESTIMONIALS {
            errors.push(FieldError::new(
                "story.testimonials",
                format!(
                    "must hold at most {MAX_TESTIMONIALS}; got {}",
                    self.testimonials.len()
                ),
            ));
            ok = false;
        }
        let mut testimonials = Vec::new();
        for (i, t) in self.testimonials.iter().enumerate().take(MAX_TESTIMONIALS) {
            let quote = errors.check(text(
                &format!("story.testimonials[{i}].quote"),
                &t.quote,
                10,
                300,
            ));
            let name = errors.check(text(
                &format!("story.testimonials[{i}].name"),
                &t.name,
                2,
                80,
            ));
            let role = if t.role.is_empty() {
                Some(String::new())
            } else {
                errors.check(text(
                    &format!("story.testimonials[{i}].role"),
                    &t.role,
                    2,
                    80,
                ))
            };
            match (quote, name, role) {
                (Some(quote), Some(name), Some(role)) => {
                    testimonials.push(Testimonial { quote, name, role })
                }
                _ => ok = false,
            }
        }
        let mut optional =
            |field: &str, value: &Option<String>, min: usize, max: usize| -> Option<String> {
                let checked = errors.check(text(field, value.as_deref()?, min, max));
                ok &= checked.is_some();
                checked
            };
        let upgrade_plan = optional(
            "story.offers.upgrade_plan",
            &self.offers.upgrade_plan,
            2,
            40,
        );
        let upgrade_adds = optional(
            "story.offers.upgrade_adds",
            &self.offers.upgrade_adds,
            3,
            120,
        );
        let referral_reward = optional(
            "story.offers.referral_reward",
            &self.offers.referral_reward,
            3,
            100,
        );
        let winback_incentive = optional(
            "story.offers.winback_incentive",
            &self.offers.winback_incentive,
            3,
            100,
        );
        let mut url = |field: &str, value: &Option<String>| -> Option<String> {
            let checked = errors.check(web_url(field, value.as_deref()?));
            ok &= checked.is_some();
            checked
        };
        let upgrade_url = url("story.offers.upgrade_url", &self.offers.upgrade_url);
        let login_url = url("story.login_url", &self.login_url);
        ok.then_some(BrandStory {
            short_benefits,
            pains,
            proof_points,
            testimonials,
            offers: Offers {
                upgrade_plan,
                upgrade_adds,
                upgrade_url,
                referral_reward,
                winback_incentive,
            },
            login_url,
        })
    }
}
