//! The page shell: head, skip link, header with the main navigation, organization switcher and
//! sign-out, the main landmark and footer; and the campaign pages' own tabs.

use crate::form::csrf_field;
use crate::session::Ctx;
use crate::static_files::{CSS_PATH, JS_PATH};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use ame_domain::Campaign;
use maud::{DOCTYPE, Markup, html};

/// The sections of the main navigation: `(key, label, path)`.
const SECTIONS: [(&str, &str, &str); 6] = [
    ("campaigns", "Campaigns", "/app/campaigns"),
    ("contacts", "Contacts", "/app/contacts"),
    ("leads", "Leads", "/app/leads"),
    ("targeting", "Targeting", "/app/targeting"),
    ("brand", "Brand", "/app/brand"),
    ("keys", "API keys", "/app/keys"),
];

/// A document with the dashboard's head (stylesheet and script from this server).
pub fn document(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · AME" }
                link rel="stylesheet" href=(CSS_PATH);
                script src=(JS_PATH) defer {}
            }
            body { (body) }
        }
    }
}

/// A signed-in page: `section` is the main navigation entry it belongs to.
pub fn page(ctx: &Ctx, section: &str, title: &str, content: Markup) -> Markup {
    let org_name = ctx.session.org_name().unwrap_or("your organization");
    document(
        title,
        html! {
            a .skip-link href="#main" { "Skip to content" }
            header .top {
                div .bar {
                    a .logo href="/app/campaigns" { "AME" }
                    span .org-name { (org_name) }
                    nav aria-label="Main" {
                        ul {
                            @for (key, label, path) in SECTIONS.iter().copied().filter(|(key, _, _)| *key != "keys" || ctx.can_manage()) {
                                li {
                                    a href=(path) aria-current=[(key == section).then_some("page")] { (label) }
                                }
                            }
                        }
                    }
                    div .account {
                        @if ctx.session.memberships.len() > 1 {
                            form #org-switch method="post" action="/app/org" {
                                (csrf_field(ctx.csrf()))
                                label for="org" { "Organization" }
                                select #org name="org" {
                                    @for m in &ctx.session.memberships {
                                        option value=(m.org) selected[m.org == ctx.caller.org] {
                                            (m.org_name) " (" (m.role) ")"
                                        }
                                    }
                                }
                                button type="submit" .secondary { "Switch" }
                            }
                        }
                        span .user { (ctx.session.session.email) " · " (ctx.caller.role) }
                        form #logout-form method="post" action="/logout" {
                            (csrf_field(ctx.csrf()))
                            button type="submit" .link-button { "Log out" }
                        }
                    }
                }
            }
            main #main tabindex="-1" { (content) }
            footer .bottom { p { "AME · " a href="/docs/" { "API reference" } } }
        },
    )
}

/// A rendered page as a response with `status`.
pub fn respond(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

/// A 200 page.
pub fn ok(markup: Markup) -> HttpResponse {
    respond(StatusCode::OK, markup)
}

/// A redirect after a successful form (303, so reloading does not resubmit).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location.to_owned()))
        .finish()
}

/// What a campaign is called on its pages: its name, or its objective.
pub fn campaign_title(campaign: &Campaign) -> &str {
    campaign
        .plan
        .name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(&campaign.objective)
}

/// The campaign pages' heading and tabs: `tab` is the current one.
pub fn campaign_header(campaign: &Campaign, tab: &str) -> Markup {
    let base = format!("/app/campaigns/{}", campaign.id);
    let tabs = [
        ("overview", "Overview", base.clone()),
        ("forecast", "Forecast", format!("{base}/forecast")),
        ("results", "Results", format!("{base}/results")),
        ("schedule", "Schedule", format!("{base}/schedule")),
        ("experiments", "Experiments", format!("{base}/experiments")),
    ];
    html! {
        p .breadcrumb { a href="/app/campaigns" { "Campaigns" } " / " }
        div .campaign-head {
            h1 { (campaign_title(campaign)) }
            p .meta {
                span .badge .{"status-" (campaign.status)} #status { (campaign.status) }
                " " span .type { (campaign.campaign_type) }
            }
        }
        nav .tabs aria-label="Campaign" {
            ul {
                @for (key, label, href) in &tabs {
                    li { a href=(href) aria-current=[(*key == tab).then_some("page")] { (label) } }
                }
            }
        }
    }
}

/// A number with thousands separators and at most `decimals` decimals.
pub fn number(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "–".into();
    }
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(number(1234567.0, 0), "1,234,567");
        assert_eq!(number(999.0, 0), "999");
        assert_eq!(number(-1234.5, 2), "-1,234.50");
        assert_eq!(number(f64::NAN, 0), "–");
    }
}
