//! The OpenAPI description: the document's frame, the bearer scheme, and the error responses
//! every operation can give, added to each operation from what it takes (path ids, bodies,
//! query parameters, idempotency keys).

use crate::problem::{ErrorCode, ProblemDetails};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// The document's frame; the operations register themselves (see [`crate::app`]).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "AME — Autonomous Marketing Engine",
        description = "Create marketing campaigns, generate their assets, record their results, predict their performance and follow them through their lifecycle, per organization.\n\nAuthenticate every `/api/` call with `Authorization: Bearer <token>`: an organization API key (`ame_...`), or a user JWT plus the `X-Org-Id` header naming the organization. Errors are `application/problem+json` (RFC 9457) with a stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(ProblemDetails, ErrorCode)),
    modifiers(&BearerScheme),
    tags(
        (name = "campaigns", description = "Campaigns and their lifecycle"),
        (name = "assets", description = "Generated campaign assets"),
        (name = "results", description = "Recorded campaign results, the basis of predictions"),
        (name = "contacts", description = "Contacts, their consent, and saved segments"),
        (name = "execution", description = "Running campaigns: jobs, webhook connectors, conversions and the delivery ledger"),
        (name = "optimisation", description = "Outcomes, lift over the holdout, variant tests and predictive audience targeting"),
        (name = "public", description = "Public pages and links: landing pages, tracked links and unsubscribing"),
        (name = "api-keys", description = "Organization API keys"),
        (name = "operations", description = "Health probes"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer security scheme.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Adds the problem responses each operation can give. Applied to the finished document (after
/// the routes registered their operations), see [`complete`].
struct StandardErrors;

/// Completes the registered document with the standard error responses.
pub fn complete(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    StandardErrors.modify(&mut doc);
    mark_channels_unique(&mut doc);
    brand_text_patterns(&mut doc);
    results_upload_bounds(&mut doc);
    doc
}

/// A results upload holds 1 to [`ame_domain::MAX_RECORDS_PER_REQUEST`] records; utoipa's
/// request-body declaration cannot bound an array, so the bounds are added here.
fn results_upload_bounds(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::Schema;
    let Some(RefOr::T(body)) = doc
        .paths
        .paths
        .get_mut("/api/marketing/campaigns/{id}/results")
        .and_then(|item| item.post.as_mut())
        .and_then(|operation| operation.request_body.as_mut())
    else {
        return;
    };
    for content in body.content.values_mut() {
        if let RefOr::T(content) = content
            && let Some(RefOr::T(Schema::Array(array))) = content.schema.as_mut()
        {
            array.min_items = Some(1);
            array.max_items = Some(ame_domain::MAX_RECORDS_PER_REQUEST);
        }
    }
}

/// Whitespace as Rust's `trim` removes it.
const WS: &str =
    r"[\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";
/// A visible character: neither whitespace, control, invisible formatting (bidi controls,
/// zero-width space, byte-order mark) nor a curly brace (reserved for merge tags).
const VISIBLE: &str = r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000\ufeff{}]";
/// Any character but a control character, invisible formatting or a curly brace.
const NOT_CONTROL: &str = r"[^\u0000-\u001f\u007f-\u009f\u200b\u202a-\u202e\u2066-\u2069\ufeff{}]";

/// The pattern of a text field that validation trims and then requires `min` characters of,
/// without control characters.
pub fn trimmed_text_pattern(min: usize) -> String {
    if min <= 1 {
        format!("^{WS}*{VISIBLE}({NOT_CONTROL}*{VISIBLE})?{WS}*$")
    } else {
        format!(
            "^{WS}*{VISIBLE}{NOT_CONTROL}{{{},}}{VISIBLE}{WS}*$",
            min - 2
        )
    }
}

/// Gives the brand profile's text fields the patterns of their trimming rules.
fn brand_text_patterns(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{ArrayItems, Schema};
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut("BrandProfileInput")
    else {
        return;
    };
    for (field, min) in [
        ("company_name", 1),
        ("product", 3),
        ("audience", 3),
        ("cta_text", 2),
        ("sign_off", 1),
        ("postal_address", 5),
        ("unsubscribe_text", 3),
    ] {
        if let Some(RefOr::T(Schema::Object(text))) = object.properties.get_mut(field) {
            text.pattern = Some(trimmed_text_pattern(min));
        }
    }
    if let Some(RefOr::T(Schema::Array(list))) = object.properties.get_mut("value_propositions")
        && let ArrayItems::RefOrSchema(item) = &mut list.items
        && let RefOr::T(Schema::Object(text)) = item.as_mut()
    {
        text.pattern = Some(trimmed_text_pattern(3));
        text.min_length = Some(3);
        text.max_length = Some(160);
    }
    if let Some(RefOr::T(Schema::Object(text))) = object.properties.get_mut("industry") {
        text.pattern = Some(trimmed_text_pattern(2));
    }
    if let Some(RefOr::T(Schema::Object(story))) = components.schemas.get_mut("BrandStory") {
        for (field, min, max) in [
            ("short_benefits", 3, 30),
            ("pains", 3, 160),
            ("proof_points", 3, 160),
        ] {
            if let Some(RefOr::T(Schema::Array(list))) = story.properties.get_mut(field)
                && let ArrayItems::RefOrSchema(item) = &mut list.items
                && let RefOr::T(Schema::Object(text)) = item.as_mut()
            {
                text.pattern = Some(trimmed_text_pattern(min));
                text.min_length = Some(min);
                text.max_length = Some(max);
            }
        }
    }
    for (schema, fields) in [
        (
            "Offers",
            &[
                ("upgrade_plan", 2),
                ("upgrade_adds", 3),
                ("referral_reward", 3),
                ("winback_incentive", 3),
            ][..],
        ),
        ("Testimonial", &[("quote", 10), ("name", 2)][..]),
    ] {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema) {
            for (field, min) in fields {
                if let Some(RefOr::T(Schema::Object(text))) = object.properties.get_mut(*field) {
                    text.pattern = Some(trimmed_text_pattern(*min));
                }
            }
        }
    }
    if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut("Testimonial")
        && let Some(RefOr::T(Schema::Object(text))) = object.properties.get_mut("role")
    {
        // Empty means no role; anything else is a trimmed text of 2 or more characters.
        text.pattern = Some(format!("^$|{}", trimmed_text_pattern(2)));
    }
}

/// Channel lists may not repeat a channel, and time zones come from the IANA list; utoipa's
/// derive cannot say so, so it is added here.
fn mark_channels_unique(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{ArrayItems, Schema};
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for name in ["NewCampaign", "CampaignPatch"] {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name)
            && let Some(RefOr::T(Schema::Array(array))) = object.properties.get_mut("channels")
            && !matches!(array.items, ArrayItems::False)
        {
            array.unique_items = true;
        }
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name)
            && let Some(RefOr::T(Schema::Object(zone))) = object.properties.get_mut("timezone")
        {
            // Both fields are optional: `null` means "UTC" on creation, "unchanged" in a patch.
            let names = ame_domain::time_zone_names()
                .map(serde_json::Value::from)
                .chain([serde_json::Value::Null])
                .collect();
            zone.enum_values = Some(names);
        }
    }
}

fn problem_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            crate::problem::PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ProblemDetails")))
                .build(),
        )
        .build()
}

fn add(operation: &mut Operation, status: &str, description: &str) {
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| problem_response(description).into());
}

fn has_param(operation: &Operation, location: ParameterIn) -> bool {
    operation.parameters.as_ref().is_some_and(|ps| {
        ps.iter()
            .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == location))
    })
}

fn has_idempotency_key(operation: &Operation) -> bool {
    operation.parameters.as_ref().is_some_and(|ps| {
        ps.iter()
            .any(|p| matches!(p, RefOr::T(p) if p.name == crate::problem::IDEMPOTENCY_HEADER))
    })
}

impl Modify for StandardErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            if path.starts_with("/p/") {
                for operation in [item.get.as_mut(), item.post.as_mut()]
                    .into_iter()
                    .flatten()
                {
                    add(operation, "404", "No page is published under this address");
                    if operation.request_body.is_some() {
                        add(
                            operation,
                            "403",
                            "The form was posted from another site (`Origin` or `Referer` names another host than this server)",
                        );
                        add(
                            operation,
                            "429",
                            "Too many posts from this address: `Retry-After` says when to try again",
                        );
                        add(operation, "400", "The form is malformed");
                        add(operation, "413", "The form is larger than 8 KiB");
                        add(
                            operation,
                            "415",
                            "The body is not `application/x-www-form-urlencoded`",
                        );
                        add(operation, "422", "Invalid fields: `errors` names each one");
                    }
                    add(
                        operation,
                        "500",
                        "The server failed; the body carries no internal details",
                    );
                }
                continue;
            }
            if !path.starts_with("/api/") {
                continue;
            }
            let path = path.as_str();
            for operation in [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                add(
                    operation,
                    "400",
                    "The request is malformed (JSON syntax, headers, path id or query string)",
                );
                add(
                    operation,
                    "401",
                    "Missing, invalid, expired or revoked credentials",
                );
                add(operation, "403", "The caller's role does not allow this");
                add(
                    operation,
                    "429",
                    "Too many requests (unknown API keys from this address, writes or expensive calls with this credential): `Retry-After` says when to try again",
                );
                if has_param(operation, ParameterIn::Path) {
                    add(
                        operation,
                        "404",
                        "No such resource in the caller's organization",
                    );
                }
                if operation.request_body.is_some() {
                    add(
                        operation,
                        "413",
                        &format!("The body is larger than {}", body_limit_text(path)),
                    );
                    add(operation, "415", "The body is not `application/json`");
                }
                if operation.request_body.is_some()
                    || has_param(operation, ParameterIn::Query)
                    || has_idempotency_key(operation)
                {
                    add(
                        operation,
                        "422",
                        "Invalid input: `errors` names each field, with the allowed values for closed sets; or an `Idempotency-Key` reused for a different request",
                    );
                }
                if has_idempotency_key(operation) {
                    add(
                        operation,
                        "409",
                        "A request with the same `Idempotency-Key` is still running, or what it created has since been deleted",
                    );
                }
                add(
                    operation,
                    "500",
                    "The server failed; the body carries no internal details",
                );
            }
        }
    }
}

/// The largest body the server takes on `path`, as the 413 answer says it: the bulk endpoints
/// take more than the 64 KiB every other JSON body may have.
fn body_limit_text(path: &str) -> String {
    use crate::routes::{contacts, optimisation, results};
    let bytes = match path {
        "/api/marketing/contacts" => contacts::CONTACTS_BODY_BYTES,
        "/api/marketing/campaigns/{id}/outcomes" => optimisation::OUTCOMES_BODY_BYTES,
        "/api/marketing/campaigns/{id}/results" => results::RESULTS_BODY_BYTES,
        _ => crate::body::MAX_BODY_BYTES,
    };
    if bytes % (1024 * 1024) == 0 {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{} KiB", bytes / 1024)
    }
}

#[cfg(test)]
mod tests {
    use ame_domain::{BrandProfileInput, CampaignType, NewCampaign};

    /// The published text patterns accept exactly what validation accepts, so clients and
    /// property-based testers generate from the document what the server takes.
    #[test]
    fn text_patterns_agree_with_validation() {
        let doc = serde_json::to_value(crate::api_doc()).unwrap();
        let fields = &doc["components"]["schemas"]["NewCampaign"]["properties"];
        let objective =
            regex::Regex::new(fields["objective"]["pattern"].as_str().unwrap()).unwrap();
        let name = regex::Regex::new(fields["name"]["pattern"].as_str().unwrap()).unwrap();
        let samples = [
            "Book 40 demos by March",
            "abc",
            "ab",
            "  ab  ",
            "\ta b\n",
            " a\u{1c}b ",
            "a\u{1c}bc",
            "\u{a0}\u{a0}x\u{a0}",
            "x\u{2003}y",
            "Grow 📈 fast",
            "<script>alert(1)</script>",
            "'; DROP TABLE campaigns; --",
            "\u{85}abc\u{85}",
            "ab\u{7f}c",
            "   ",
            "",
            "Win {{first_name}} back",
            "{abc}",
            "Spring \u{202e}sale",
            "zero\u{200b}width",
        ];
        for sample in samples {
            let chars = sample.chars().count();
            let published = objective.is_match(sample) && (3..=500).contains(&chars);
            let accepted = NewCampaign::new(CampaignType::Upsell, sample)
                .validate()
                .is_ok();
            assert_eq!(published, accepted, "objective {sample:?}");

            let published = name.is_match(sample) && (1..=200).contains(&chars);
            let mut campaign = NewCampaign::new(CampaignType::Upsell, "Grow revenue");
            campaign.name = Some(sample.to_owned());
            let accepted = campaign.validate().is_ok();
            assert_eq!(published, accepted, "name {sample:?}");
        }
    }

    /// The brand profile's published patterns accept exactly what its validation accepts.
    #[test]
    fn brand_patterns_agree_with_validation() {
        let doc = serde_json::to_value(crate::api_doc()).unwrap();
        let schema = &doc["components"]["schemas"]["BrandProfileInput"];
        let example: BrandProfileInput = serde_json::from_value(serde_json::json!({
            "company_name": "Ledgerly", "product": "close software", "audience": "finance teams",
            "value_propositions": ["close faster"], "tone": "bold", "cta_text": "Book a demo",
            "cta_url": "https://ledgerly.example/", "primary_color": "#112233",
            "accent_color": "#445566", "sign_off": "The team", "postal_address": "1 Main St"
        }))
        .unwrap();
        assert!(example.clone().validate().is_ok());
        let samples = [
            "a",
            "ab",
            "abc",
            "abcde",
            " a b ",
            "\ta\u{1c}bcd",
            "  ",
            "",
            "x\u{2003}y z",
            "<b>Ac</b>",
            "Ledgerly {{unsubscribe_url}}",
            "{ab}",
            "a\u{2066}bc",
        ];
        for (field, min, max) in [
            ("company_name", 1, 100),
            ("product", 3, 200),
            ("cta_text", 2, 40),
            ("postal_address", 5, 300),
            ("sign_off", 1, 120),
        ] {
            let pattern =
                regex::Regex::new(schema["properties"][field]["pattern"].as_str().unwrap())
                    .unwrap();
            assert_eq!(schema["properties"][field]["maxLength"], max, "{field}");
            for sample in samples {
                let chars = sample.chars().count();
                let published = pattern.is_match(sample) && (min..=max).contains(&chars);
                let mut input = serde_json::to_value(&example).unwrap();
                input[field] = serde_json::json!(sample);
                let accepted = serde_json::from_value::<BrandProfileInput>(input)
                    .unwrap()
                    .validate()
                    .is_ok();
                assert_eq!(published, accepted, "{field} {sample:?}");
            }
        }
        let item = &schema["properties"]["value_propositions"]["items"];
        assert!(item["pattern"].is_string(), "{item}");
    }
}
