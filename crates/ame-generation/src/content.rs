//! The non-copy parts of an asset's content: landing page form fields and social proof, search
//! ad pinning, the Meta button, and when each social post should go out.

use crate::brief::Brief;
use ame_domain::Channel;
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use serde_json::{Value, json};

/// Meta's call-to-action button for a campaign type.
/// Pinning suggestions for a responsive search ad: the brand's own name in position 1, so
/// every combination says who is advertising; everything else left free for Google to test.
pub(crate) fn rsa_pinning(headlines: &[String], company: &str) -> Value {
    headlines.iter().position(|h| h == company).map_or_else(
        || json!([]),
        |i| json!([{"headline": i, "position": "HEADLINE_1"}]),
    )
}

/// The landing page's social proof section: the brand's testimonials and proof points, or a
/// placeholder saying what to add.
pub(crate) fn social_proof(brand: &ame_domain::Brand) -> Value {
    let story = &brand.story;
    if story.testimonials.is_empty() && story.proof_points.is_empty() {
        return json!({"kind": "social_proof", "items": [], "placeholder": "Add customer quotes or proof points to the brand profile."});
    }
    json!({"kind": "social_proof", "testimonials": story.testimonials, "proof_points": story.proof_points})
}

/// The landing page form's fields: a work email and company for business buyers, a plain
/// email for consumers.
pub(crate) fn form_fields(market: ame_domain::Market) -> Value {
    let mut fields =
        vec![json!({"name": "name", "label": "Name", "type": "text", "required": true})];
    match market {
        ame_domain::Market::Business => {
            fields.push(
                json!({"name": "email", "label": "Work email", "type": "email", "required": true}),
            );
            fields.push(
                json!({"name": "company", "label": "Company", "type": "text", "required": false}),
            );
        }
        ame_domain::Market::Consumer => {
            fields.push(
                json!({"name": "email", "label": "Email", "type": "email", "required": true}),
            );
        }
    }
    fields.push(json!({"name": "consent", "label": "Consent to be contacted", "type": "checkbox", "required": true}));
    Value::Array(fields)
}

/// The Meta button matching the words of the ad's call to action (for lead generation, the
/// brand's own), else the campaign type's.
pub(crate) fn meta_button(t: ame_domain::CampaignType, cta: &str) -> &'static str {
    use ame_domain::CampaignType as T;
    let cta = cta.to_lowercase();
    let has = |words: &[&str]| {
        words
            .iter()
            .any(|w| cta.split(|c: char| !c.is_alphanumeric()).any(|x| x == *w))
    };
    if t == T::LeadGen || t == T::BrandAwareness {
        if has(&["quote", "quotes", "estimate"]) {
            return "GET_QUOTE";
        }
        if has(&[
            "book",
            "demo",
            "appointment",
            "call",
            "visit",
            "check",
            "assessment",
            "walk",
        ]) {
            return "BOOK_NOW";
        }
        if has(&["order"]) {
            return "ORDER_NOW";
        }
        if has(&["buy", "shop"]) {
            return "SHOP_NOW";
        }
        if has(&[
            "trial", "start", "sign", "join", "enrol", "enroll", "register", "try",
        ]) {
            return "SIGN_UP";
        }
        if has(&["subscribe"]) {
            return "SUBSCRIBE";
        }
        if has(&["contact", "talk"]) {
            return "CONTACT_US";
        }
    }
    match t {
        T::LeadGen | T::BrandAwareness => "LEARN_MORE",
        T::ClientRetention | T::ReEngagement => "GET_STARTED",
        T::Upsell => "SHOP_NOW",
        T::Referral => "APPLY_NOW",
    }
}

/// The best-known posting slot per platform (weekday and local time), and the first such slot
/// on or after the campaign's start in its time zone.
pub(crate) fn posting_time(platform: Channel, brief: &Brief) -> Value {
    let (weekday, hour, why) = match platform {
        Channel::Linkedin => (
            Weekday::Tue,
            9,
            "B2B audiences read LinkedIn early on weekday mornings",
        ),
        Channel::X => (
            Weekday::Wed,
            12,
            "X engagement peaks around weekday lunchtime",
        ),
        Channel::Facebook => (
            Weekday::Thu,
            13,
            "Facebook reach is highest early weekday afternoons",
        ),
        _ => (
            Weekday::Wed,
            11,
            "Instagram engagement peaks late weekday mornings",
        ),
    };
    let tz: chrono_tz::Tz = brief
        .campaign
        .plan
        .timezone
        .parse()
        .unwrap_or(chrono_tz::UTC);
    let suggested_at = brief
        .campaign
        .plan
        .start_at
        .and_then(|start| next_slot(start, tz, weekday, hour));
    json!({"weekday": weekday.to_string(), "local_time": format!("{hour:02}:00"), "timezone": tz.name(), "suggested_at": suggested_at, "why": why})
}

fn next_slot(
    start: DateTime<Utc>,
    tz: chrono_tz::Tz,
    weekday: Weekday,
    hour: u32,
) -> Option<DateTime<Utc>> {
    let local = start.with_timezone(&tz);
    let time = NaiveTime::from_hms_opt(hour, 0, 0)?;
    (0..14).find_map(|d| {
        let date = local.date_naive() + Duration::days(d);
        if date.weekday() != weekday {
            return None;
        }
        let at = tz
            .from_local_datetime(&date.and_time(time))
            .earliest()?
            .with_timezone(&Utc);
        (at >= start).then_some(at)
    })
}
