//! Brand profiles: who the organization is and how it speaks, used by every generated asset.

use crate::enums::{ParseEnumError, string_enum};
use crate::ids::OrgId;
use crate::validation::{Collector, FieldError, ValidationError, text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::str::FromStr;

mod story;

use story::from_object;

mod logo;
pub use logo::BrandLogo;
pub use story::{BrandStory, MAX_BRAND_LIST, MAX_TESTIMONIALS, Offers, Testimonial};

string_enum! {
    /// The voice a brand writes in.
    Tone, "tone" {
        /// Warm, plain and approachable.
        Friendly => "friendly",
        /// Precise, calm and credible.
        Professional => "professional",
        /// Direct, confident and energetic.
        Bold => "bold",
        /// Light, witty and informal.
        Playful => "playful",
        /// Understanding and reassuring.
        Empathetic => "empathetic",
    }
}

string_enum! {
    /// Whom a brand sells to: forms, vocabulary and calls to action follow it (businesses
    /// when not said).
    #[derive(Default)]
    Market, "market" {
        /// Other businesses (forms ask for a work email and company).
        #[default]
        Business => "business",
        /// People buying for themselves or their household.
        Consumer => "consumer",
    }
}

string_enum! {
    /// The world a brand works in: it picks the copywriter's playbook (who the reader is, what
    /// they do, which words belong there). Inferred from `industry` and `market` when not set.
    Vertical, "vertical" {
        /// Bakeries, cafés, restaurants, food and drink subscriptions.
        FoodDrink => "food_drink",
        /// Shops and online stores.
        Retail => "retail",
        /// Trades, salons, repairs and other services booked locally.
        LocalServices => "local_services",
        /// Clinics and practices: dental, physio, optician, vets.
        Health => "health",
        /// Gyms, studios, trainers and wellness.
        Fitness => "fitness",
        /// Charities, shelters and other causes that ask for gifts.
        Nonprofit => "nonprofit",
        /// Courses, tutoring and schools.
        Education => "education",
        /// Hotels, holiday lets, tours and travel.
        Hospitality => "hospitality",
        /// Software sold to businesses.
        B2bSoftware => "b2b_software",
        /// Accountants, lawyers, consultancies and agencies.
        ProfessionalServices => "professional_services",
    }
}

/// Most value propositions a profile may list.
pub const MAX_VALUE_PROPOSITIONS: usize = 6;

/// A brand profile as submitted (`PUT /api/marketing/brand`), not yet validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BrandProfileInput {
    /// The company's name as customers know it (1 to 100 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 100, example = "Ledgerly")
    )]
    pub company_name: String,
    /// The product or offer the campaigns promote (3 to 200 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 3,
            max_length = 200,
            example = "automated month-end close software"
        )
    )]
    pub product: String,
    /// Who the campaigns speak to (3 to 200 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 3,
            max_length = 200,
            example = "finance teams at mid-sized companies"
        )
    )]
    pub audience: String,
    /// Why the audience should care: 1 to 6 short statements (3 to 160 characters each), each
    /// starting with a verb, as in "close the books in 3 days", so they read well in every template.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 6, example = json!(["close the books in 3 days instead of 10", "catch reconciliation errors before auditors do"])))]
    pub value_propositions: Vec<String>,
    /// The voice to write in.
    pub tone: Tone,
    /// The call to action's button text (2 to 40 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 2, max_length = 40, example = "Book a demo")
    )]
    pub cta_text: String,
    /// Where the call to action leads: an absolute `http` or `https` URL.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 2000,
            pattern = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[!#-~]*)?$",
            example = "https://ledgerly.example/demo"
        )
    )]
    pub cta_url: String,
    /// Main brand colour, `#rrggbb`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^#[0-9A-Fa-f]{6}$", example = "#1f4e79")
    )]
    pub primary_color: String,
    /// Accent colour for buttons and highlights, `#rrggbb`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^#[0-9A-Fa-f]{6}$", example = "#f2a900")
    )]
    pub accent_color: String,
    /// How emails are signed (1 to 120 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 120, example = "The Ledgerly team")
    )]
    pub sign_off: String,
    /// Postal address printed in every email footer, as anti-spam laws require (5 to 300 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 5,
            max_length = 300,
            example = "Ledgerly Inc., 100 Main St, Springfield, IL 62701, USA"
        )
    )]
    pub postal_address: String,
    /// Text of the unsubscribe link (3 to 100 characters); `Unsubscribe` when left out.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 3, max_length = 100, example = "Unsubscribe")
    )]
    pub unsubscribe_text: Option<String>,
    /// Whom the brand sells to; `business` when left out.
    #[serde(default)]
    pub market: Market,
    /// Whether a landing-page sign-up must confirm by email before it is subscribed (double
    /// opt-in); when left out, on for consumer brands and off for business ones.
    #[serde(default)]
    pub double_opt_in: Option<bool>,
    /// The brand's industry in a few words (2 to 60 characters), e.g. `dental care`.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 2, max_length = 60, example = "accounting software")
    )]
    pub industry: Option<String>,
    /// The brand's world, which picks the copywriter's playbook; inferred from `industry` and
    /// `market` when left out.
    #[serde(default)]
    pub vertical: Option<Vertical>,
    /// Optional story material: short benefits, pains, proof, testimonials, offers, log-in URL.
    #[serde(default, deserialize_with = "from_object")]
    pub story: BrandStory,
}

/// A validated brand profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Brand {
    /// The company's name.
    pub company_name: String,
    /// The product or offer.
    pub product: String,
    /// Who the campaigns speak to.
    pub audience: String,
    /// Why the audience should care.
    pub value_propositions: Vec<String>,
    /// The voice to write in.
    pub tone: Tone,
    /// The call to action's button text.
    pub cta_text: String,
    /// Where the call to action leads.
    pub cta_url: String,
    /// Main brand colour, `#rrggbb` (lower case).
    pub primary_color: String,
    /// Accent colour, `#rrggbb` (lower case).
    pub accent_color: String,
    /// How emails are signed.
    pub sign_off: String,
    /// Postal address for email footers.
    pub postal_address: String,
    /// Text of the unsubscribe link.
    pub unsubscribe_text: String,
    /// Whom the brand sells to.
    #[serde(default)]
    pub market: Market,
    /// Whether landing-page sign-ups confirm by email, when set (else [`Brand::confirms_sign_ups`]
    /// follows the market).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub double_opt_in: Option<bool>,
    /// The brand's industry, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    /// The brand's world as set (the copywriter infers it when not).
    #[serde(default)]
    pub vertical: Option<Vertical>,
    /// Optional story material.
    #[serde(default)]
    pub story: BrandStory,
}

/// An organization's stored brand profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrandProfile {
    /// The organization it belongs to.
    pub org_id: OrgId,
    /// The profile.
    #[serde(flatten)]
    pub brand: Brand,
    /// When it was first saved.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
    /// The uploaded logo, when there is one (`PUT /brand/logo`).
    #[serde(default)]
    pub logo: Option<BrandLogo>,
}

impl Brand {
    /// Whether landing-page sign-ups must confirm by email before they are subscribed: the
    /// brand's setting, else on for consumer brands (where third parties' addresses are most
    /// often entered) and off for business ones.
    pub fn confirms_sign_ups(&self) -> bool {
        self.double_opt_in
            .unwrap_or(self.market == Market::Consumer)
    }

    /// Marker put in every placeholder field, so nobody ships one by accident.
    pub const PLACEHOLDER_MARK: &'static str = "[set in brand profile]";

    /// Clearly marked stand-ins used when an organization has no brand profile yet: generation
    /// still works, and every placeholder reads as one.
    pub fn placeholder() -> Self {
        let mark = Self::PLACEHOLDER_MARK;
        Self {
            company_name: "Your Company".to_owned(),
            product: "your product".to_owned(),
            audience: "your customers".to_owned(),
            value_propositions: vec![
                format!("the main benefit customers get {mark}"),
                format!("the time or money it saves them {mark}"),
                format!("what makes it different {mark}"),
            ],
            tone: Tone::Friendly,
            cta_text: "Learn more".to_owned(),
            cta_url: "https://example.com/".to_owned(),
            primary_color: "#1f4e79".to_owned(),
            accent_color: "#f2a900".to_owned(),
            sign_off: "The Your Company team".to_owned(),
            postal_address: format!("Company postal address {mark}"),
            unsubscribe_text: "Unsubscribe".to_owned(),
            market: Market::Business,
            double_opt_in: None,
            industry: None,
            vertical: None,
            story: BrandStory::default(),
        }
    }
}

impl BrandProfileInput {
    /// Validates every field, reporting all problems at once.
    pub fn validate(self) -> Result<Brand, ValidationError> {
        let mut errors = Collector::default();
        let company_name = errors.check(text("company_name", &self.company_name, 1, 100));
        let product = errors.check(text("product", &self.product, 3, 200));
        let audience = errors.check(text("audience", &self.audience, 3, 200));
        let value_propositions = if self.value_propositions.is_empty()
            || self.value_propositions.len() > MAX_VALUE_PROPOSITIONS
        {
            errors.push(FieldError::new(
                "value_propositions",
                format!(
                    "must list 1 to {MAX_VALUE_PROPOSITIONS} statements; got {}",
                    self.value_propositions.len()
                ),
            ));
            None
        } else {
            let checked: Vec<Option<String>> = self
                .value_propositions
                .iter()
                .enumerate()
                .map(|(i, v)| errors.check(text(&format!("value_propositions[{i}]"), v, 3, 160)))
                .collect();
            checked.into_iter().collect::<Option<Vec<_>>>()
        };
        let cta_text = errors.check(text("cta_text", &self.cta_text, 2, 40));
        let cta_url = errors.check(web_url("cta_url", &self.cta_url));
        let primary_color = errors.check(hex_color("primary_color", &self.primary_color));
        let accent_color = errors.check(hex_color("accent_color", &self.accent_color));
        let sign_off = errors.check(text("sign_off", &self.sign_off, 1, 120));
        let postal_address = errors.check(text("postal_address", &self.postal_address, 5, 300));
        let unsubscribe_text = match &self.unsubscribe_text {
            None => Some("Unsubscribe".to_owned()),
            Some(v) => errors.check(text("unsubscribe_text", v, 3, 100)),
        };
        let story = self.story.validate(&mut errors);
        let industry = match self.industry.as_deref() {
            None => Some(None),
            Some(v) => errors.check(text("industry", v, 2, 60)).map(Some),
        };
        errors.finish()?;
        match (
            company_name,
            product,
            audience,
            value_propositions,
            cta_text,
            cta_url,
            primary_color,
            accent_color,
            sign_off,
            postal_address,
            unsubscribe_text,
            industry,
            story,
        ) {
            (
                Some(company_name),
                Some(product),
                Some(audience),
                Some(value_propositions),
                Some(cta_text),
                Some(cta_url),
                Some(primary_color),
                Some(accent_color),
                Some(sign_off),
                Some(postal_address),
                Some(unsubscribe_text),
                Some(industry),
                Some(story),
            ) => Ok(Brand {
                company_name,
                product,
                audience,
                value_propositions,
                tone: self.tone,
                cta_text,
                cta_url,
                primary_color,
                accent_color,
                sign_off,
                postal_address,
                unsubscribe_text,
                market: self.market,
                double_opt_in: self.double_opt_in,
                industry,
                vertical: self.vertical,
                story,
            }),
            _ => Err(ValidationError::single(FieldError::new(
                "brand",
                "invalid brand profile",
            ))),
        }
    }
}

/// Checks a `#rrggbb` colour, returning it in lower case.
fn hex_color(field: &str, value: &str) -> Result<String, FieldError> {
    let ok = value.len() == 7
        && value.starts_with('#')
        && value[1..].chars().all(|c| c.is_ascii_hexdigit());
    if ok {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(FieldError::new(
            field,
            format!(
                "must be a colour written `#rrggbb` (six hex digits), e.g. `#1f4e79`; got `{value}`"
            ),
        ))
    }
}

/// Checks an absolute `http`/`https` URL with a host and only visible ASCII characters.
fn web_url(field: &str, value: &str) -> Result<String, FieldError> {
    let fail = || {
        FieldError::new(
            field,
            "must be an absolute http or https URL of at most 2000 visible ASCII characters, e.g. `https://example.com/demo`",
        )
    };
    if value.len() > 2000 || !value.chars().all(|c| c.is_ascii_graphic()) {
        return Err(fail());
    }
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(fail)?;
    let authority = rest.split('/').next().unwrap_or_default();
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    let port_ok =
        port.is_none_or(|p| (1..=5).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()));
    if host_ok && port_ok {
        Ok(value.to_owned())
    } else {
        Err(fail())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> BrandProfileInput {
        BrandProfileInput {
            company_name: " Ledgerly ".into(),
            product: "automated month-end close software".into(),
            audience: "finance teams at mid-sized companies".into(),
            value_propositions: vec!["close the books in 3 days instead of 10".into()],
            tone: Tone::Professional,
            cta_text: "Book a demo".into(),
            cta_url: "https://ledgerly.example/demo?utm_source=ame".into(),
            primary_color: "#1F4E79".into(),
            accent_color: "#f2a900".into(),
            sign_off: "The Ledgerly team".into(),
            postal_address: "100 Main St, Springfield".into(),
            unsubscribe_text: None,
            market: Market::Business,
            double_opt_in: None,
            industry: None,
            vertical: None,
            story: BrandStory::default(),
        }
    }

    #[test]
    fn sign_ups_confirm_by_default_for_consumer_brands_unless_the_brand_says() {
        let business = input().validate().unwrap();
        assert!(!business.confirms_sign_ups());
        let consumer = BrandProfileInput {
            market: Market::Consumer,
            ..input()
        }
        .validate()
        .unwrap();
        assert!(consumer.confirms_sign_ups());
        let opted_out = BrandProfileInput {
            market: Market::Consumer,
            double_opt_in: Some(false),
            ..input()
        }
        .validate()
        .unwrap();
        assert!(!opted_out.confirms_sign_ups());
        let opted_in = BrandProfileInput {
            double_opt_in: Some(true),
            ..input()
        }
        .validate()
        .unwrap();
        assert!(opted_in.confirms_sign_ups());
    }

    #[test]
    fn market_defaults_to_business_and_industry_is_optional_but_bounded() {
        let old: BrandProfileInput = serde_json::from_value(serde_json::json!({
            "company_name": "Ledgerly", "product": "close software", "audience": "finance teams",
            "value_propositions": ["close faster"], "tone": "professional", "cta_text": "Book a demo",
            "cta_url": "https://ledgerly.example/", "primary_color": "#1f4e79",
            "accent_color": "#f2a900", "sign_off": "The team", "postal_address": "1 Main St"
        }))
        .unwrap();
        let brand = old.validate().unwrap();
        assert_eq!((brand.market, brand.industry), (Market::Business, None));
        let consumer = BrandProfileInput {
            market: Market::Consumer,
            industry: Some("  dental care ".into()),
            ..input()
        }
        .validate()
        .unwrap();
        assert_eq!(consumer.market, Market::Consumer);
        assert_eq!(consumer.industry.as_deref(), Some("dental care"));
        let long = BrandProfileInput {
            industry: Some("x".repeat(61)),
            ..input()
        };
        let error = long.validate().unwrap_err();
        assert!(error.to_string().contains("industry"), "{error}");
        let stored: Brand = serde_json::from_value(serde_json::json!({
            "company_name": "A", "product": "abc", "audience": "abc", "value_propositions": ["abc"],
            "tone": "friendly", "cta_text": "Go", "cta_url": "https://a.example/",
            "primary_color": "#000000", "accent_color": "#ffffff", "sign_off": "A",
            "postal_address": "1 Main St", "unsubscribe_text": "Unsubscribe"
        }))
        .unwrap();
        assert_eq!(
            stored.market,
            Market::Business,
            "profiles stored before the field read as business"
        );
    }

    #[test]
    fn story_material_is_optional_trimmed_and_bounded() {
        let brand = input().validate().unwrap();
        assert_eq!(brand.story, BrandStory::default());
        let story = BrandStory {
            short_benefits: vec![" Close in 3 days ".into()],
            pains: vec!["month-end overtime".into()],
            proof_points: vec!["Used by 400 finance teams".into()],
            testimonials: vec![Testimonial {
                quote: "We closed March in three days.".into(),
                name: "Dana Ruiz".into(),
                role: String::new(),
            }],
            offers: Offers {
                upgrade_plan: Some("Business".into()),
                upgrade_adds: Some(" priority support and custom reports ".into()),
                upgrade_url: Some("https://ledgerly.example/business".into()),
                referral_reward: None,
                winback_incentive: None,
            },
            login_url: Some("https://app.ledgerly.example/login".into()),
        };
        let brand = BrandProfileInput { story, ..input() }.validate().unwrap();
        assert_eq!(brand.story.short_benefits, ["Close in 3 days"]);
        assert_eq!(
            brand.story.testimonials[0].quote,
            "We closed March in three days."
        );
        assert_eq!(brand.story.offers.referral_reward, None);
        assert_eq!(
            brand.story.offers.upgrade_adds.as_deref(),
            Some("priority support and custom reports"),
            "trimmed"
        );
        let blank = BrandStory {
            offers: Offers {
                referral_reward: Some("  ".into()),
                ..Offers::default()
            },
            ..BrandStory::default()
        };
        let error = BrandProfileInput {
            story: blank,
            ..input()
        }
        .validate()
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("story.offers.referral_reward"),
            "a blank offer is an error, not a silent omission: {error}"
        );
        let arrays: Result<BrandStory, _> = serde_json::from_value(serde_json::json!({
            "offers": [null, null]
        }));
        assert!(arrays.is_err(), "offers must be an object");
        let arrays: Result<BrandStory, _> = serde_json::from_value(serde_json::json!({
            "testimonials": [["We closed March in three days.", "Dana"]]
        }));
        assert!(arrays.is_err(), "testimonials must be objects");
        let bad = BrandStory {
            short_benefits: vec!["A short benefit that is far too long for a headline".into()],
            offers: Offers {
                upgrade_url: Some("ftp://nope".into()),
                ..Offers::default()
            },
            testimonials: vec![
                Testimonial {
                    quote: "Too short".into(),
                    name: "A".into(),
                    role: String::new()
                };
                4
            ],
            ..BrandStory::default()
        };
        let error = BrandProfileInput {
            story: bad,
            ..input()
        }
        .validate()
        .unwrap_err()
        .to_string();
        for field in [
            "story.short_benefits[0]",
            "story.offers.upgrade_url",
            "story.testimonials",
        ] {
            assert!(error.contains(field), "{field} in {error}");
        }
    }

    #[test]
    fn a_valid_profile_is_trimmed_and_normalized() {
        let brand = input().validate().unwrap();
        assert_eq!(brand.company_name, "Ledgerly");
        assert_eq!(brand.primary_color, "#1f4e79");
        assert_eq!(brand.unsubscribe_text, "Unsubscribe");
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let mut bad = input();
        bad.company_name = "  ".into();
        bad.value_propositions = vec!["ok statement".into(), "x".into()];
        bad.cta_url = "javascript:alert(1)".into();
        bad.primary_color = "blue".into();
        bad.accent_color = "#12345g".into();
        let err = bad.validate().unwrap_err();
        let fields: Vec<&str> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "company_name",
                "value_propositions[1]",
                "cta_url",
                "primary_color",
                "accent_color"
            ]
        );
    }

    #[test]
    fn urls_must_be_http_with_a_host() {
        for good in ["http://a.example", "https://a.example:8443/x?y=1#z"] {
            assert!(web_url("u", good).is_ok(), "{good}");
        }
        for bad in [
            "ftp://a",
            "https://",
            "https://a b",
            "https://a:99999999/",
            "https://a\"><script>",
        ] {
            assert!(web_url("u", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn too_many_or_no_value_propositions_are_refused() {
        let mut bad = input();
        bad.value_propositions = vec![];
        assert!(bad.clone().validate().is_err());
        bad.value_propositions = vec!["a good reason".into(); 7];
        assert_eq!(
            bad.validate().unwrap_err().errors[0].field,
            "value_propositions"
        );
    }

    #[test]
    fn the_placeholder_marks_what_is_missing() {
        let p = Brand::placeholder();
        assert!(
            p.value_propositions
                .iter()
                .all(|v| v.contains(Brand::PLACEHOLDER_MARK))
        );
        assert!(p.postal_address.contains(Brand::PLACEHOLDER_MARK));
    }
}
