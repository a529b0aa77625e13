//! Rendering tests: sizes, margins, fitting, contrast, determinism and awkward input.

use super::*;

const NAVY: Rgb = Rgb(0x1a, 0x2b, 0x3c);
const ORANGE: Rgb = Rgb(0xff, 0x66, 0x00);

fn spec<'a>(size: &'a BannerSize, headline: &'a str) -> BannerSpec<'a> {
    BannerSpec {
        size,
        headline,
        subline: Some("Dashboards your whole team understands, set up in minutes."),
        cta: "Start free trial",
        brand_name: "Acme Analytics",
        background: NAVY,
        accent: ORANGE,
        logo: None,
    }
}

fn long_headline() -> String {
    let text = "Grow your pipeline with automated campaigns that write, design and schedule \
                themselves while you focus on closing deals ";
    text.repeat(5).chars().take(500).collect()
}

fn decode(banner: &RenderedBanner) -> RgbImage {
    image::load_from_memory(&banner.png).unwrap().to_rgb8()
}

/// At least 5% of the short side between text and the canvas edges.
fn required_margin(size: &BannerSize) -> u32 {
    (f64::from(size.width.min(size.height)) * 0.05).ceil() as u32
}

fn assert_text_inside(banner: &RenderedBanner, size: &BannerSize) {
    let m = required_margin(size);
    let (w, h) = (size.width, size.height);
    let b = banner.headline_box;
    assert!(b.w > 0 && b.h > 0, "{}: empty headline box", size.name);
    assert!(
        b.is_inside(w, h, m),
        "{}: headline {b:?} margin {m}",
        size.name
    );
    for other in [banner.subline_box, banner.brand_box].into_iter().flatten() {
        assert!(other.is_inside(w, h, m), "{}: {other:?}", size.name);
    }
    assert!(
        banner.cta_box.is_inside(w, h, m),
        "{}: cta {:?}",
        size.name,
        banner.cta_box
    );
}

#[test]
fn every_standard_size_decodes_with_declared_dimensions() {
    for size in &STANDARD_SIZES {
        let banner = render_banner(&spec(size, "Spring sale: 30% off")).unwrap();
        let img = decode(&banner);
        assert_eq!(img.dimensions(), (size.width, size.height), "{}", size.name);
        assert_eq!((banner.width, banner.height), (size.width, size.height));
        assert_eq!(&banner.png[1..4], b"PNG");
    }
}

#[test]
fn standard_sizes_have_the_documented_dimensions() {
    let dims: Vec<_> = STANDARD_SIZES
        .iter()
        .map(|s| (s.name, s.width, s.height))
        .collect();
    assert_eq!(
        dims,
        [
            ("link", 1200, 628),
            ("square", 1080, 1080),
            ("wide", 1600, 900),
            ("leaderboard", 728, 90)
        ]
    );
    assert_eq!(BannerSize::by_name("square"), Some(&STANDARD_SIZES[1]));
    assert_eq!(BannerSize::by_name("billboard"), None);
}

#[test]
fn headline_box_stays_inside_canvas_margins() {
    for size in &STANDARD_SIZES {
        let banner = render_banner(&spec(size, "Spring sale: 30% off everything")).unwrap();
        assert_text_inside(&banner, size);
        assert!(!banner.truncated, "{}", size.name);
        assert_eq!(
            banner.headline_lines.join(" "),
            "Spring sale: 30% off everything"
        );
    }
}

#[test]
fn five_hundred_char_headline_is_fitted_and_truncated() {
    let headline = long_headline();
    assert_eq!(headline.chars().count(), 500);
    for size in &STANDARD_SIZES {
        let banner = render_banner(&spec(size, &headline)).unwrap();
        assert_text_inside(&banner, size);
        let last = banner.headline_lines.last().unwrap();
        if banner.truncated {
            assert!(last.ends_with('\u{2026}'), "{}: {last}", size.name);
        } else {
            assert_eq!(banner.headline_lines.join(" "), headline.trim_end());
        }
        if size.name == "link" || size.name == "leaderboard" {
            assert!(banner.truncated, "{}", size.name);
        }
        let max_lines = if size.layout() == BannerLayout::Row {
            2
        } else {
            6
        };
        assert!(banner.headline_lines.len() <= max_lines, "{}", size.name);
        assert!(banner.font_px >= 10.0, "{}: {}", size.name, banner.font_px);
    }
}

#[test]
fn nothing_is_drawn_outside_the_reported_boxes() {
    let headline = format!("{} {}", "W".repeat(120), long_headline());
    for size in &STANDARD_SIZES {
        let banner = render_banner(&spec(size, &headline)).unwrap();
        let img = decode(&banner);
        let boxes: Vec<PixelBox> = [
            Some(banner.headline_box),
            banner.subline_box,
            banner.brand_box,
            Some(banner.cta_box),
            Some(banner.accent_box),
            banner.decor_box,
        ]
        .into_iter()
        .flatten()
        .collect();
        let bg = banner.background.pixel();
        for (x, y, p) in img.enumerate_pixels() {
            if !boxes.iter().any(|b| b.contains(x, y)) {
                assert_eq!(*p, bg, "{}: stray pixel at {x},{y}", size.name);
            }
        }
    }
}

#[test]
fn text_pixels_fill_headline_box_and_corner_stays_background() {
    for size in &STANDARD_SIZES {
        let banner = render_banner(&spec(size, "Big launch week")).unwrap();
        let img = decode(&banner);
        let b = banner.headline_box;
        let bg = banner.background.pixel();
        let text = banner.text_color.pixel();
        let mut differing = 0u64;
        let mut exact_text = 0u64;
        for y in b.y..b.bottom() {
            for x in b.x..b.right() {
                let p = *img.get_pixel(x, y);
                differing += u64::from(p != bg);
                exact_text += u64::from(p == text);
            }
        }
        let area = u64::from(b.w) * u64::from(b.h);
        assert!(differing * 10 > area, "{}: {differing}/{area}", size.name);
        assert!(exact_text > 0, "{}", size.name);
        let corner = match banner.layout {
            BannerLayout::Stacked => *img.get_pixel(0, 0),
            BannerLayout::Row => *img.get_pixel(size.width - 1, 0),
        };
        assert_eq!(corner, bg, "{}", size.name);
        assert_eq!(banner.background, NAVY);
    }
}

#[test]
fn awkward_brand_colours_reach_aa_contrast() {
    let pairs = [
        ("#777777", "#777777"),
        ("#ffff00", "#ffff00"),
        ("#808080", "#00ff00"),
        ("#0000ff", "#ff0000"),
        ("#767676", "#747474"),
        ("#000000", "#ffffff"),
        ("#ff00ff", "#00ffff"),
    ];
    for size in &STANDARD_SIZES {
        for (bg, accent) in pairs {
            let mut s = spec(size, "Contrast matters");
            s.background = Rgb::from_hex(bg).unwrap();
            s.accent = Rgb::from_hex(accent).unwrap();
            let banner = render_banner(&s).unwrap();
            assert!(banner.text_contrast >= MIN_TEXT_CONTRAST, "{bg}");
            assert!(banner.cta_contrast >= MIN_TEXT_CONTRAST, "{accent}");
            let text = contrast_ratio(banner.text_color, banner.background);
            let cta = contrast_ratio(banner.cta_text_color, banner.accent);
            assert!((text - banner.text_contrast).abs() < 1e-9);
            assert!((cta - banner.cta_contrast).abs() < 1e-9);
            assert!([Rgb::BLACK, Rgb::WHITE].contains(&banner.text_color));
            let img = decode(&banner);
            assert_eq!(*img.get_pixel(size.width - 1, 0), banner.background.pixel());
        }
    }
}

#[test]
fn cta_button_matching_background_gets_a_border() {
    let size = &STANDARD_SIZES[0];
    let mut s = spec(size, "Outline check");
    s.accent = s.background;
    let banner = render_banner(&s).unwrap();
    assert!(banner.cta_outline);
    let img = decode(&banner);
    let b = banner.cta_box;
    let top_middle = *img.get_pixel(b.x + b.w / 2, b.y);
    assert_eq!(top_middle, banner.text_color.pixel());

    let banner = render_banner(&spec(size, "Outline check")).unwrap();
    assert!(!banner.cta_outline);
    let img = decode(&banner);
    let b = banner.cta_box;
    assert_eq!(*img.get_pixel(b.x + b.w / 2, b.y), ORANGE.pixel());
}

#[test]
fn rendering_is_deterministic() {
    for size in &STANDARD_SIZES {
        let first = render_banner(&spec(size, "Same input, same bytes")).unwrap();
        let second = render_banner(&spec(size, "Same input, same bytes")).unwrap();
        assert_eq!(first.png, second.png, "{}", size.name);
        assert_eq!(first, second);
        let other = render_banner(&spec(size, "Different input")).unwrap();
        assert_ne!(first.png, other.png, "{}", size.name);
    }
}

#[test]
fn unicode_and_markup_headlines_render_safely() {
    let zalgo = format!("Z{}algo", "\u{0301}\u{0316}\u{0354}".repeat(30));
    let long_word = "W".repeat(300);
    let headlines = [
        "Rocket sale 🚀🔥 👨‍👩‍👧 ends soon",
        "<script>alert('x')</script> & \"quotes\"",
        "Ünïcödé ñ — 漢字テスト 한국어",
        "مرحبا بالعالم \u{202e}reversed",
        zalgo.as_str(),
        "tab\tnew\nline\r\u{0}null\u{7f}",
        "\u{200b}x\u{200d}y\u{fe0f}",
        long_word.as_str(),
        "no\u{a0}break\u{a0}spaces\u{a0}stay\u{a0}together",
    ];
    for size in &STANDARD_SIZES {
        for headline in headlines {
            let banner = render_banner(&spec(size, headline))
                .unwrap_or_else(|e| panic!("{}: {headline:?}: {e}", size.name));
            assert_text_inside(&banner, size);
            assert!(banner.headline_lines.iter().all(|l| !l.contains('\n')));
        }
    }
}

#[test]
fn overlong_word_is_broken_not_cut() {
    let size = &STANDARD_SIZES[1];
    let word = "Pneumonoultramicroscopicsilicovolcanoconiosis".repeat(2);
    let banner = render_banner(&spec(size, &word)).unwrap();
    assert!(!banner.truncated);
    assert!(banner.headline_lines.len() > 1);
    assert_eq!(banner.headline_lines.concat(), word);
    assert_text_inside(&banner, size);
}

#[test]
fn blank_headline_or_cta_is_rejected() {
    let size = &STANDARD_SIZES[0];
    for blank in ["", "   \n\t", "\u{200b}"] {
        let err = render_banner(&spec(size, blank)).unwrap_err();
        assert!(matches!(err, BannerError::EmptyText("headline")), "{err}");
    }
    let mut s = spec(size, "Fine");
    s.cta = " ";
    let err = render_banner(&s).unwrap_err();
    assert!(matches!(err, BannerError::EmptyText("cta")), "{err}");
}

#[test]
fn unsupported_sizes_are_rejected() {
    for (width, height) in [(0, 0), (99, 600), (600, 49), (5000, 500), (500, 4097)] {
        let size = BannerSize {
            name: "custom",
            width,
            height,
        };
        let err = render_banner(&spec(&size, "Too small")).unwrap_err();
        assert!(matches!(err, BannerError::InvalidSize { .. }), "{err}");
    }
}

#[test]
fn odd_sizes_render_inside_their_canvas() {
    let headline = long_headline();
    for (width, height) in [
        (100, 50),
        (300, 250),
        (160, 600),
        (320, 50),
        (970, 250),
        (100, 100),
    ] {
        let size = BannerSize {
            name: "custom",
            width,
            height,
        };
        for text in ["Hi", headline.as_str()] {
            let banner = render_banner(&spec(&size, text)).unwrap();
            assert_eq!(decode(&banner).dimensions(), (width, height));
            assert!(
                banner.headline_box.is_inside(width, height, banner.margin),
                "{width}x{height}: {:?}",
                banner.headline_box
            );
            assert!(banner.cta_box.is_inside(width, height, 1));
        }
    }
}

#[test]
fn leaderboard_is_one_row_with_cta_on_the_right() {
    let size = BannerSize::by_name("leaderboard").unwrap();
    let banner = render_banner(&spec(size, "Spring sale: 30% off")).unwrap();
    assert_eq!(banner.layout, BannerLayout::Row);
    let (head, cta) = (banner.headline_box, banner.cta_box);
    assert!(head.right() <= cta.x);
    assert!(head.y < cta.bottom() && cta.y < head.bottom());
    assert!(cta.right() > size.width * 3 / 4);
    assert!(banner.subline_lines.is_empty() && banner.subline_box.is_none());
    let brand = banner.brand_box.unwrap();
    assert!(brand.right() <= head.x);
}

#[test]
fn long_brand_is_omitted_on_leaderboard_and_shortened_elsewhere() {
    let long = "The Extremely Long Brand Name Incorporated International Holdings";
    let mut s = spec(&STANDARD_SIZES[3], "Sale");
    s.brand_name = long;
    assert_eq!(render_banner(&s).unwrap().brand_box, None);
    s.size = &STANDARD_SIZES[0];
    let banner = render_banner(&s).unwrap();
    let brand = banner.brand_box.unwrap();
    assert!(brand.w < 1200 * 7 / 10);
    s.brand_name = "";
    assert_eq!(render_banner(&s).unwrap().brand_box, None);
}

#[test]
fn stacked_layout_orders_brand_headline_subline_cta() {
    for size in STANDARD_SIZES.iter().take(3) {
        let banner = render_banner(&spec(size, "Launch faster with Acme")).unwrap();
        assert_eq!(banner.layout, BannerLayout::Stacked);
        let brand = banner.brand_box.unwrap();
        let head = banner.headline_box;
        let sub = banner.subline_box.unwrap();
        let cta = banner.cta_box;
        assert!(brand.bottom() <= head.y, "{}", size.name);
        assert!(head.bottom() <= sub.y, "{}", size.name);
        assert!(sub.bottom() <= cta.y, "{}", size.name);
        assert!(cta.bottom() <= banner.accent_box.y, "{}", size.name);
        assert_eq!(
            banner.subline_lines.join(" "),
            "Dashboards your whole team understands, set up in minutes."
        );
        assert_eq!(banner.cta_label, "Start free trial");
    }
}

#[test]
fn blank_or_missing_subline_is_not_drawn() {
    let size = &STANDARD_SIZES[2];
    for subline in [None, Some(""), Some(" \n ")] {
        let mut s = spec(size, "Headline only");
        s.subline = subline;
        let banner = render_banner(&s).unwrap();
        assert_eq!(banner.subline_box, None);
        assert!(banner.subline_lines.is_empty());
    }
}

#[test]
fn shorter_headlines_get_larger_type() {
    let medium = "Automated campaigns that write, design and schedule themselves for you";
    for size in &STANDARD_SIZES {
        let short = render_banner(&spec(size, "Sale")).unwrap();
        let longer = render_banner(&spec(size, medium)).unwrap();
        let longest = render_banner(&spec(size, &long_headline())).unwrap();
        assert!(short.font_px >= longer.font_px, "{}", size.name);
        assert!(longer.font_px > longest.font_px, "{}", size.name);
        assert!(
            !longer.truncated,
            "{}: {:?}",
            size.name, longer.headline_lines
        );
        if let Some(sub) = longest.subline_box {
            let per_line = longest.headline_box.h / longest.headline_lines.len() as u32;
            assert!(per_line >= sub.h / 2, "{}", size.name);
        }
    }
}

#[test]
fn capped_input_is_marked_truncated() {
    let huge = "word ".repeat(5000);
    let banner = render_banner(&spec(&STANDARD_SIZES[1], &huge)).unwrap();
    assert!(banner.truncated);
    assert!(banner.headline_lines.last().unwrap().ends_with('\u{2026}'));
}

#[test]
fn characters_the_font_cannot_draw_are_reported_not_hidden() {
    let size = &STANDARD_SIZES[0];
    let latin = render_banner(&spec(size, "Close your books in 3 days")).unwrap();
    assert!(
        latin.missing_glyphs.is_empty(),
        "{:?}",
        latin.missing_glyphs
    );
    let cjk = render_banner(&spec(size, "月末決算を3日で 🚀 Zoë")).unwrap();
    assert!(
        cjk.missing_glyphs.contains(&'月'),
        "{:?}",
        cjk.missing_glyphs
    );
    assert!(
        cjk.missing_glyphs.contains(&'🚀'),
        "{:?}",
        cjk.missing_glyphs
    );
    assert!(
        !cjk.missing_glyphs.contains(&'ë'),
        "{:?}",
        cjk.missing_glyphs
    );
    assert_eq!(
        cjk.missing_glyphs.iter().filter(|c| **c == '日').count(),
        1,
        "each missing character once"
    );
}

fn words_per_line(banner: &RenderedBanner) -> Vec<usize> {
    banner
        .headline_lines
        .iter()
        .map(|l| l.split_whitespace().count())
        .collect()
}

#[test]
fn headlines_never_end_on_a_lone_word_when_words_can_be_shared() {
    let headlines = [
        "Close the books in 3 days instead of 10 with Ledgerly",
        "See a dentist within 48 hours at Brightside Dental",
        "Automated month-end close for finance teams that hate spreadsheets",
        "Your next great hire is one referral away",
    ];
    for size in &STANDARD_SIZES {
        for headline in headlines {
            let banner = render_banner(&spec(size, headline)).unwrap();
            let words = words_per_line(&banner);
            if words.len() >= 2 {
                assert!(
                    *words.last().unwrap() >= 2,
                    "{}: {:?}",
                    size.name,
                    banner.headline_lines
                );
            }
            let joined = banner.headline_lines.join(" ");
            assert_eq!(joined, headline, "{}: no word lost or cut", size.name);
        }
    }
}

#[test]
fn balanced_lines_are_close_in_length() {
    let size = BannerSize::by_name("square").unwrap();
    let banner = render_banner(&spec(
        size,
        "Close the books in 3 days instead of 10 with automated reconciliation",
    ))
    .unwrap();
    let lengths: Vec<usize> = banner
        .headline_lines
        .iter()
        .map(|l| l.chars().count())
        .collect();
    let (short, long) = (
        *lengths.iter().min().unwrap(),
        *lengths.iter().max().unwrap(),
    );
    assert!(lengths.len() >= 2, "{lengths:?}");
    assert!(
        short * 2 >= long,
        "uneven lines {:?}",
        banner.headline_lines
    );
}

#[test]
fn landscape_sizes_fill_their_right_side_with_a_brand_pattern_and_keep_text_left() {
    for size in &STANDARD_SIZES {
        let banner = render_banner(&spec(size, "Big launch week for every finance team")).unwrap();
        let landscape =
            size.layout() == BannerLayout::Stacked && size.width * 10 >= size.height * 13;
        assert_eq!(banner.decor_box.is_some(), landscape, "{}", size.name);
        let Some(panel) = banner.decor_box else {
            continue;
        };
        for text in [
            Some(banner.headline_box),
            banner.subline_box,
            banner.brand_box,
            Some(banner.cta_box),
        ]
        .into_iter()
        .flatten()
        {
            assert!(
                !text.intersects(&panel),
                "{}: {text:?} in {panel:?}",
                size.name
            );
        }
        let img = decode(&banner);
        let bg = banner.background.pixel();
        let painted = (panel.y..panel.bottom())
            .step_by(4)
            .flat_map(|y| (panel.x..panel.right()).step_by(4).map(move |x| (x, y)))
            .filter(|&(x, y)| *img.get_pixel(x, y) != bg)
            .count();
        let sampled = (panel.w as usize / 4) * (panel.h as usize / 4);
        assert!(
            painted * 5 > sampled,
            "{}: {painted} of {sampled} painted",
            size.name
        );
    }
}

#[test]
fn a_logo_replaces_the_brand_name_and_gets_a_chip_when_it_would_vanish() {
    let navy_logo = image::RgbaImage::from_pixel(200, 50, image::Rgba([0x1a, 0x2b, 0x3c, 255]));
    let white_logo = image::RgbaImage::from_pixel(200, 50, image::Rgba([255, 255, 255, 255]));
    for size in &STANDARD_SIZES {
        for (logo, chip) in [(&navy_logo, true), (&white_logo, false)] {
            let mut spec = spec(size, "Big launch week");
            spec.logo = Some(logo);
            let banner = render_banner(&spec).unwrap();
            assert!(banner.logo_drawn, "{}", size.name);
            let logo_box = banner.brand_box.unwrap();
            assert!(
                logo_box.is_inside(size.width, size.height, required_margin(size)),
                "{}: {logo_box:?}",
                size.name
            );
            assert!(!logo_box.intersects(&banner.headline_box), "{}", size.name);
            assert!(!logo_box.intersects(&banner.cta_box), "{}", size.name);
            let img = decode(&banner);
            let corner = *img.get_pixel(logo_box.x + logo_box.w / 2, logo_box.y + 1);
            let centre = *img.get_pixel(logo_box.x + logo_box.w / 2, logo_box.y + logo_box.h / 2);
            if chip {
                assert_eq!(
                    corner,
                    image::Rgb([255, 255, 255]),
                    "{}: white chip",
                    size.name
                );
                assert_eq!(
                    centre,
                    image::Rgb([0x1a, 0x2b, 0x3c]),
                    "{}: logo on it",
                    size.name
                );
            } else {
                assert_eq!(
                    centre,
                    image::Rgb([255, 255, 255]),
                    "{}: logo drawn",
                    size.name
                );
            }
        }
    }
}
