//! HTML and plain-text renderings: the standalone landing page and each email of a sequence.
//! Every piece of user or model text goes through maud's escaping; only the stylesheet, built
//! from validated `#rrggbb` colours, is inserted unescaped.

use crate::colour::{MIN_TEXT_CONTRAST, Rgb, readable_on};
use crate::copy::{EmailCopy, LandingCopy};
use ame_domain::Brand;
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// Merge tag for the unsubscribe link, replaced by the sending system.
pub const UNSUBSCRIBE_TAG: &str = "{{unsubscribe_url}}";

/// Merge tag for a referrer's personal link to the campaign's friend-facing page, replaced
/// for each contact when the email is sent.
pub use crate::playbook::schema::REFERRAL_TAG;

/// `url` with UTM parameters naming the medium and the campaign (before any `#fragment`); a
/// merge tag stays as it is (the sender puts the contact's own link there).
pub fn tracked_url(url: &str, medium: &str, campaign_slug: &str) -> String {
    if url == REFERRAL_TAG {
        return url.to_owned();
    }
    let (base, fragment) = match url.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (url, None),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut out =
        format!("{base}{sep}utm_source=ame&utm_medium={medium}&utm_campaign={campaign_slug}");
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Fallback main colour when a stored one cannot be read.
pub const DEFAULT_PRIMARY: Rgb = Rgb(0x1f, 0x4e, 0x79);
/// Fallback accent colour when a stored one cannot be read.
pub const DEFAULT_ACCENT: Rgb = Rgb(0xf2, 0xa9, 0x00);

/// A surface colour and the text colour to use on it, the surface adjusted if needed so the
/// text reaches 4.5:1.
pub(crate) fn surface_and_text(hex: &str, fallback: Rgb) -> (String, String) {
    let (surface, text, _) = readable_on(Rgb::from_hex(hex).unwrap_or(fallback), MIN_TEXT_CONTRAST);
    (surface.to_hex(), text.to_hex())
}

fn stylesheet(brand: &Brand) -> String {
    let (primary, on_primary) = surface_and_text(&brand.primary_color, DEFAULT_PRIMARY);
    let (accent, on_accent) = surface_and_text(&brand.accent_color, DEFAULT_ACCENT);
    format!(
        "*{{box-sizing:border-box}}body{{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;line-height:1.6;color:#1a1a1a;background:#fff}}\
.skip{{position:absolute;left:-999px}}.skip:focus{{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:10}}\
.wrap{{max-width:68rem;margin:0 auto;padding:0 1.25rem}}\
header.hero{{background:{primary};color:{on_primary};padding:4rem 0 3rem}}\
.brand{{font-weight:700;letter-spacing:.02em;margin:0 0 2rem}}.logo{{display:block;height:48px;width:auto;max-width:14rem;object-fit:contain}}\
h1{{font-size:clamp(2rem,5vw,3.25rem);line-height:1.15;margin:0 0 1rem}}\
.sub{{font-size:1.25rem;max-width:40rem;margin:0 0 2rem}}\
.button{{display:inline-block;background:{accent};color:{on_accent};font-weight:700;padding:.9rem 1.6rem;border-radius:.5rem;text-decoration:none;border:0;font-size:1.05rem;cursor:pointer}}\
.button:focus-visible,input:focus-visible{{outline:3px solid {primary};outline-offset:2px}}\
section{{padding:3rem 0}}h2{{font-size:1.75rem;margin:0 0 1.5rem}}\
.benefits{{display:grid;gap:1.5rem;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));list-style:none;padding:0;margin:0}}\
.benefits li{{border:1px solid #ddd;border-radius:.75rem;padding:1.25rem}}.benefits h3{{margin:0 0 .5rem}}\
.proof{{background:#f5f5f5}}.proof p{{font-style:italic;color:#444}}\
details{{border-bottom:1px solid #ddd;padding:.75rem 0}}summary{{font-weight:600;cursor:pointer}}\
form{{display:grid;gap:1rem;max-width:28rem}}label{{display:grid;gap:.25rem;font-weight:600}}\
input[type=text],input[type=email]{{padding:.7rem;border:1px solid #767676;border-radius:.4rem;font-size:1rem}}\
.consent{{display:flex;gap:.5rem;align-items:flex-start;font-weight:400}}.hp{{position:absolute;left:-5000px}}\
footer{{background:#222;color:#eee;padding:2rem 0;font-size:.9rem}}footer a{{color:#fff}}\
@media (max-width:40rem){{header.hero{{padding:2.5rem 0 2rem}}.sub{{font-size:1.1rem}}}}"
    )
}

/// What a landing page needs besides its copy.
#[derive(Debug, Clone)]
pub struct PageContext<'a> {
    /// The brand.
    pub brand: &'a Brand,
    /// The page's public slug (the form posts to `/p/{slug}/leads`).
    pub slug: &'a str,
    /// Which variant to render (0-based).
    pub variant: usize,
    /// Whether the brand is the placeholder (shown as a notice on the page).
    pub placeholder_brand: bool,
    /// The brand's logo as a `data:` URI, shown in place of the brand name.
    pub logo_data_uri: Option<&'a str>,
    /// Whether the page's job is taking sign-ups (a lead form its buttons lead to); a page for
    /// people who already buy (an upsell) sends its buttons to the call to action's link.
    pub lead_form: bool,
}

fn variant(items: &[String], i: usize) -> &str {
    items
        .get(i)
        .or_else(|| items.first())
        .map_or("", String::as_str)
}

/// Escapes text the way the page templates do.
fn escaped(text: &str) -> String {
    maud::html! { (text) }.into_string()
}

/// The variant fields of a rendered landing page and how many variants each has, from the
/// asset's content: `landing_headline` (the hero headline with its subheadline) and
/// `landing_cta` (the hero button).
pub fn landing_test_fields(content: &serde_json::Value) -> Vec<(&'static str, u32)> {
    let count = |key: &str| content[key].as_array().map_or(0, Vec::len) as u32;
    vec![
        ("landing_headline", count("headline")),
        ("landing_cta", count("cta_label")),
    ]
}

/// Turns a landing page rendered with variant 0 into the page showing the given headline and
/// button variants (the rest of the page is unchanged).
pub fn landing_variant(
    page: &str,
    content: &serde_json::Value,
    headline: usize,
    cta: usize,
) -> String {
    let text = |key: &str, i: usize| -> Option<String> {
        content[key].as_array()?.get(i)?.as_str().map(escaped)
    };
    let mut out = page.to_owned();
    if headline > 0
        && let (Some(h0), Some(h)) = (text("headline", 0), text("headline", headline))
    {
        for (before, after) in [
            ("<h1>", "</h1>"),
            ("<title>", " | "),
            ("og:title\" content=\"", "\""),
        ] {
            out = out.replacen(
                &format!("{before}{h0}{after}"),
                &format!("{before}{h}{after}"),
                1,
            );
        }
        if let (Some(s0), Some(s)) = (text("subheadline", 0), text("subheadline", headline)) {
            out = out.replacen(
                &format!("<p class=\"sub\">{s0}</p>"),
                &format!("<p class=\"sub\">{s}</p>"),
                1,
            );
        }
    }
    if cta > 0
        && let (Some(c0), Some(c)) = (text("cta_label", 0), text("cta_label", cta))
    {
        // Pages published before the button was marked say where it leads instead.
        for marker in [HERO_CTA, "href=\"#get-started\""] {
            let from = format!("{marker}>{c0}</a>");
            if out.contains(&from) {
                out = out.replacen(&from, &format!("{marker}>{c}</a>"), 1);
                break;
            }
        }
    }
    out
}

/// The marker closing the hero button's opening tag, so a variant can swap its label.
const HERO_CTA: &str = "data-slot=\"hero_cta\"";

/// Renders the landing page as a standalone, responsive, accessible HTML document.
pub fn landing_page(copy: &LandingCopy, ctx: &PageContext<'_>) -> String {
    let brand = ctx.brand;
    let headline = variant(&copy.headline, ctx.variant);
    let sub = variant(&copy.subheadline, ctx.variant);
    let cta = variant(&copy.cta_label, ctx.variant);
    let readers = &crate::playbook::Playbook::for_brand(brand)
        .file
        .words
        .readers;
    let cta_href = tracked_url(&brand.cta_url, "landing_page", ctx.slug);
    let hero_href = if ctx.lead_form {
        "#get-started".to_owned()
    } else {
        cta_href.clone()
    };
    let page: Markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (headline) " | " (brand.company_name) }
                meta name="description" content=(copy.meta_description);
                meta property="og:title" content=(headline);
                meta property="og:description" content=(copy.meta_description);
                style { (PreEscaped(stylesheet(brand))) }
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="hero" {
                    div class="wrap" {
                        @if let Some(logo) = ctx.logo_data_uri {
                            p class="brand" { img class="logo" src=(logo) alt=(brand.company_name) height="48"; }
                        } @else {
                            p class="brand" { (brand.company_name) }
                        }
                        @if ctx.placeholder_brand {
                            p role="note" { "Draft: this page uses placeholder brand details. Set your brand profile before publishing." }
                        }
                        h1 { (headline) }
                        p class="sub" { (sub) }
                        a class="button" href=(hero_href) data-slot="hero_cta" { (cta) }
                    }
                }
                main id="main" {
                    section aria-labelledby="benefits-title" {
                        div class="wrap" {
                            h2 id="benefits-title" { "Why " (brand.company_name) }
                            ul class="benefits" {
                                @for b in &copy.benefits {
                                    li { h3 { (b.title) } p { (b.body) } }
                                }
                            }
                        }
                    }
                    @if !brand.story.testimonials.is_empty() || !brand.story.proof_points.is_empty() {
                        section class="proof" aria-labelledby="proof-title" data-slot="social_proof" {
                            div class="wrap" {
                                h2 id="proof-title" { "What " (readers) " say" }
                                @for t in &brand.story.testimonials {
                                    figure class="quote" {
                                        blockquote { p { "“" (t.quote) "”" } }
                                        figcaption { (t.name) @if !t.role.is_empty() { ", " (t.role) } }
                                    }
                                }
                                @if !brand.story.proof_points.is_empty() {
                                    ul class="proof-points" { @for point in &brand.story.proof_points { li { (point) } } }
                                }
                            }
                        }
                    }
                    section aria-labelledby="faq-title" {
                        div class="wrap" {
                            h2 id="faq-title" { "Questions, answered" }
                            @for f in &copy.faq {
                                details { summary { (f.question) } p { (f.answer) } }
                            }
                        }
                    }
                    @if ctx.lead_form {
                    section id="get-started" aria-labelledby="form-title" {
                        div class="wrap" {
                            h2 id="form-title" { (cta) }
                            p { (copy.form_intro) }
                            form method="post" action={ "/p/" (ctx.slug) "/leads" } {
                                label { "Name" input type="text" name="name" autocomplete="name" required maxlength="200"; }
                                @if ctx.brand.market == ame_domain::Market::Consumer {
                                    label { "Email" input type="email" name="email" autocomplete="email" required maxlength="254"; }
                                } @else {
                                    label { "Work email" input type="email" name="email" autocomplete="email" required maxlength="254"; }
                                    label { "Company" input type="text" name="company" autocomplete="organization" maxlength="200"; }
                                }
                                label class="hp" aria-hidden="true" { "Leave this empty" input type="text" name="website" tabindex="-1" autocomplete="off"; }
                                label class="consent" {
                                    input type="checkbox" name="consent" value="yes" required;
                                    span { "I agree that " (brand.company_name) " may contact me about this request." }
                                }
                                button class="button" type="submit" { (cta) }
                            }
                        }
                    }
                    }
                    section aria-labelledby="closing-title" {
                        div class="wrap" {
                            h2 id="closing-title" { (copy.closing) }
                            a class="button" href=(cta_href) { (cta) }
                        }
                    }
                }
                footer {
                    div class="wrap" {
                        p { "© " (brand.company_name) " · " (brand.postal_address) }
                    }
                }
            }
        }
    };
    page.into_string()
}

/// The page with `token` as a hidden `form_token` field of its lead form (the form that posts
/// to `/p/{slug}/leads`); a page without that form is returned as it is.
pub fn with_form_token(page: &str, slug: &str, token: &str) -> String {
    with_hidden_field(page, slug, "form_token", token)
}

/// The page with a hidden field `name` holding `value` in its lead form (the form that posts
/// to `/p/{slug}/leads`); a page without that form is returned as it is.
pub fn with_hidden_field(page: &str, slug: &str, name: &str, value: &str) -> String {
    let action = format!("action=\"/p/{slug}/leads\"");
    let Some(at) = page.find(&action) else {
        return page.to_owned();
    };
    let Some(end) = page[at..].find('>').map(|i| at + i + 1) else {
        return page.to_owned();
    };
    let field = html! { input type="hidden" name=(name) value=(value); };
    format!("{}{}{}", &page[..end], field.into_string(), &page[end..])
}

/// What an email needs besides its copy.
#[derive(Debug, Clone)]
pub struct EmailContext<'a> {
    /// The brand.
    pub brand: &'a Brand,
    /// The greeting line (with merge tags).
    pub greeting: &'a str,
    /// The campaign slug used in tracking parameters.
    pub slug: &'a str,
    /// Which variant to render (0-based).
    pub variant: usize,
}

/// Renders one email as HTML (table layout and inline styles, which email clients need).
pub fn email_html(copy: &EmailCopy, ctx: &EmailContext<'_>) -> String {
    let brand = ctx.brand;
    let subject = variant(&copy.subject, ctx.variant);
    let preheader = variant(&copy.preheader, ctx.variant);
    let href = tracked_url(&brand.cta_url, "email", ctx.slug);
    let body = html! {
        p style="margin:0 0 16px;" { (ctx.greeting) }
        @for para in &copy.body { p style="margin:0 0 16px;" { (para) } }
        (email_button(brand, &href, &copy.cta_label))
        p style="margin:0;" { (brand.sign_off) }
    };
    let footer = html! {
        p style="margin:0 0 8px;" { (brand.postal_address) }
        a href=(UNSUBSCRIBE_TAG) style="color:#555555;" { (brand.unsubscribe_text) }
    };
    email_frame(brand, subject, Some(preheader), body, footer)
}

/// An email's button in the brand's accent colour.
pub(crate) fn email_button(brand: &Brand, href: &str, label: &str) -> Markup {
    let (accent, on_accent) = surface_and_text(&brand.accent_color, DEFAULT_ACCENT);
    html! {
        p style="margin:24px 0;" {
            a href=(href) style={ "background:" (accent) ";color:" (on_accent) ";padding:12px 24px;border-radius:6px;text-decoration:none;font-weight:bold;display:inline-block;" } { (label) }
        }
    }
}

/// An email's frame: the brand's name on its primary colour, then `body`, then `footer` in
/// small print (table layout and inline styles, which email clients need).
pub(crate) fn email_frame(
    brand: &Brand,
    title: &str,
    preheader: Option<&str>,
    body: Markup,
    footer: Markup,
) -> String {
    let (primary, on_primary) = surface_and_text(&brand.primary_color, DEFAULT_PRIMARY);
    let doc: Markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
            }
            body style="margin:0;padding:0;background:#f4f4f4;" {
                @if let Some(preheader) = preheader {
                    div style="display:none;max-height:0;overflow:hidden;" { (preheader) }
                }
                table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f4f4;" {
                    tr { td align="center" style="padding:24px 12px;" {
                        table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;width:100%;background:#ffffff;border-radius:8px;font-family:Arial,Helvetica,sans-serif;color:#1a1a1a;" {
                            tr { td style={ "background:" (primary) ";color:" (on_primary) ";padding:20px 32px;font-size:20px;font-weight:bold;border-radius:8px 8px 0 0;" } { (brand.company_name) } }
                            tr { td style="padding:32px;font-size:16px;line-height:1.6;" { (body) } }
                            tr { td style="padding:16px 32px;font-size:12px;color:#555555;border-top:1px solid #eeeeee;" { (footer) } }
                        }
                    } }
                }
            }
        }
    };
    doc.into_string()
}

/// Renders one email as plain text (the multipart alternative).
pub fn email_text(copy: &EmailCopy, ctx: &EmailContext<'_>) -> String {
    let brand = ctx.brand;
    let mut out = format!("{}\n\n", ctx.greeting);
    for para in &copy.body {
        out.push_str(para);
        out.push_str("\n\n");
    }
    out.push_str(&format!(
        "{}: {}\n\n{}\n\n--\n{}\n{}: {}\n",
        copy.cta_label,
        tracked_url(&brand.cta_url, "email", ctx.slug),
        brand.sign_off,
        brand.postal_address,
        brand.unsubscribe_text,
        UNSUBSCRIBE_TAG
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_token_goes_inside_the_lead_form_only() {
        let page = "<form method=\"get\" action=\"/search\"><input name=q></form>\
                    <form method=\"post\" action=\"/p/spring/leads\"><input name=\"email\"></form>";
        let with = with_form_token(page, "spring", "AAA.bbb");
        assert_eq!(
            with,
            "<form method=\"get\" action=\"/search\"><input name=q></form>\
             <form method=\"post\" action=\"/p/spring/leads\">\
             <input type=\"hidden\" name=\"form_token\" value=\"AAA.bbb\"><input name=\"email\"></form>"
        );
        assert_eq!(with_form_token(page, "summer", "AAA.bbb"), page);
    }

    #[test]
    fn tracking_goes_before_the_fragment() {
        assert_eq!(
            tracked_url("https://a.example/x?y=1#pricing", "email", "s"),
            "https://a.example/x?y=1&utm_source=ame&utm_medium=email&utm_campaign=s#pricing"
        );
        assert_eq!(
            tracked_url("https://a.example/#a?b", "cpc", "s"),
            "https://a.example/?utm_source=ame&utm_medium=cpc&utm_campaign=s#a?b"
        );
    }

    #[test]
    fn a_variant_swaps_the_hero_headline_subheadline_and_button_only() {
        let content = serde_json::json!({
            "headline": ["Close in 3 days", "Books & balances, done"],
            "subheadline": ["Sub zero", "Sub one"],
            "cta_label": ["Book a demo", "See it live"],
        });
        let page = "<title>Close in 3 days | Acme</title><meta property=\"og:title\" content=\"Close in 3 days\">\
                    <h1>Close in 3 days</h1><p class=\"sub\">Sub zero</p>\
                    <a class=\"button\" href=\"#get-started\">Book a demo</a><p>Close in 3 days</p>";
        let shown = landing_variant(page, &content, 1, 1);
        assert!(
            shown.contains("<h1>Books &amp; balances, done</h1>"),
            "{shown}"
        );
        assert!(shown.contains("<title>Books &amp; balances, done | Acme</title>"));
        assert!(shown.contains("content=\"Books &amp; balances, done\""));
        assert!(shown.contains("<p class=\"sub\">Sub one</p>"));
        assert!(shown.contains("href=\"#get-started\">See it live</a>"));
        let marked = page.replace(
            "href=\"#get-started\"",
            "href=\"https://acme.example/plans\" data-slot=\"hero_cta\"",
        );
        assert!(
            landing_variant(&marked, &content, 0, 1)
                .contains("data-slot=\"hero_cta\">See it live</a>")
        );
        // Body text that merely repeats the headline stays.
        assert!(shown.ends_with("<p>Close in 3 days</p>"));
        assert_eq!(landing_variant(page, &content, 0, 0), page);
        assert_eq!(
            landing_test_fields(&content),
            vec![("landing_headline", 2), ("landing_cta", 2)]
        );
    }
}
