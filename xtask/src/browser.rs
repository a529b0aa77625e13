//! The generated landing page in a real browser: Debian's Chromium, headless, at a phone and a
//! desktop width (the page is framed at that width, since headless windows have a minimum width).
//! A probe script (added to a copy of the page, since the page itself runs no scripts) measures
//! the laid-out page; the checks are that nothing overflows sideways, the
//! headline fits, every form field has a label, the submit button is visible, body text is at
//! least 16 px and the hero text has at least 4.5:1 contrast.

use crate::packages::ensure_debian_packages;
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const PROBE: &str = r#"<script>
(() => {
  const width = window.innerWidth;
  const h1 = document.querySelector('h1').getBoundingClientRect();
  const fields = [...document.querySelectorAll('form input')].filter(i => !i.closest('.hp'));
  const button = document.querySelector('form button[type=submit]').getBoundingClientRect();
  const hero = getComputedStyle(document.querySelector('header.hero'));
  const probe = {
    width,
    overflow: document.documentElement.scrollWidth > width + 1,
    h1_left: h1.left, h1_right: h1.right, h1_height: h1.height,
    unlabelled: fields.filter(i => i.labels.length === 0).map(i => i.name),
    fields: fields.length,
    button_width: button.width, button_height: button.height,
    body_font_px: parseFloat(getComputedStyle(document.body).fontSize),
    hero_color: hero.color, hero_background: hero.backgroundColor,
  };
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify(probe);
  document.body.appendChild(out);
})();
</script>"#;

fn rgb(text: &str) -> Result<[f64; 3]> {
    let inner = text
        .trim()
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')');
    let parts: Vec<f64> = inner
        .split(',')
        .take(3)
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("not an rgb() colour: {text}"))?;
    match parts.as_slice() {
        [r, g, b] => Ok([*r, *g, *b]),
        _ => bail!("not an rgb() colour: {text}"),
    }
}

fn luminance([r, g, b]: [f64; 3]) -> f64 {
    let channel = |c: f64| {
        let c = c / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// Lays out `page` (an HTML file) at each width and checks it.
pub(crate) fn check_landing_page(root: &Path, page: &Path) -> Result<()> {
    ensure_debian_packages(&[("chromium", "chromium")])?;
    let html =
        std::fs::read_to_string(page).with_context(|| format!("reading {}", page.display()))?;
    let work = root.join("target/browser");
    std::fs::create_dir_all(&work)?;
    let probed = work.join("landing.html");
    std::fs::write(
        &probed,
        html.replacen("</body>", &format!("{PROBE}</body>"), 1),
    )?;
    for (width, height) in [(375, 812), (1280, 800)] {
        let profile = work.join(format!("profile-{width}"));
        let harness = work.join(format!("frame-{width}.html"));
        std::fs::write(
            &harness,
            format!(
                "<!DOCTYPE html><html><body><iframe id=\"page\" src=\"landing.html\" width=\"{width}\" height=\"{height}\" style=\"border:0\"></iframe>\
                 <script>document.getElementById('page').addEventListener('load', () => {{ const out = document.createElement('pre'); out.id = 'probe'; \
                 out.textContent = document.getElementById('page').contentDocument.getElementById('probe').textContent; document.body.appendChild(out); }});</script></body></html>"
            ),
        )?;
        let out = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--hide-scrollbars",
                "--allow-file-access-from-files",
                "--virtual-time-budget=5000",
                &format!("--user-data-dir={}", profile.display()),
                "--window-size=1400,1000",
                "--dump-dom",
            ])
            .arg(format!("file://{}", harness.display()))
            .output()
            .context("running chromium")?;
        if !out.status.success() {
            bail!("chromium failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let dom = String::from_utf8_lossy(&out.stdout);
        let start = dom
            .find("<pre id=\"probe\">")
            .context("the probe did not run")?
            + 16;
        let end = start + dom[start..].find("</pre>").context("unterminated probe")?;
        let probe: Value = serde_json::from_str(&dom[start..end].replace("&quot;", "\""))?;
        let number = |k: &str| probe[k].as_f64().unwrap_or(f64::NAN);
        let hero = contrast(
            rgb(probe["hero_color"].as_str().unwrap_or_default())?,
            rgb(probe["hero_background"].as_str().unwrap_or_default())?,
        );
        if number("width") != f64::from(width) {
            bail!(
                "the page was laid out at {} px, not {width} px",
                probe["width"]
            );
        }
        let problems: Vec<String> = [
            (
                probe["overflow"] == true,
                "the page scrolls sideways".to_owned(),
            ),
            (
                number("h1_left") < 0.0 || number("h1_right") > f64::from(width),
                "the headline leaves the viewport".to_owned(),
            ),
            (
                probe["unlabelled"].as_array().is_none_or(|u| !u.is_empty()),
                format!("unlabelled fields: {}", probe["unlabelled"]),
            ),
            (number("fields") < 4.0, "the form lost fields".to_owned()),
            (
                number("button_width") < 44.0 || number("button_height") < 24.0,
                "the submit button is too small".to_owned(),
            ),
            (
                number("body_font_px") < 16.0,
                "body text under 16 px".to_owned(),
            ),
            (hero < 4.5, format!("hero contrast {hero:.2}:1 under 4.5:1")),
        ]
        .into_iter()
        .filter_map(|(bad, what)| bad.then_some(what))
        .collect();
        if !problems.is_empty() {
            bail!(
                "landing page at {width}px: {}; probe {probe}",
                problems.join("; ")
            );
        }
        println!(
            "landing page at {width}px: no sideways scroll, headline fits, {} labelled fields, hero contrast {hero:.1}:1",
            probe["fields"]
        );
    }
    Ok(())
}
