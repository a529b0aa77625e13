//! PNG banner rendering for marketing image assets.
//!
//! [`render_banner`] draws a brand-coloured banner with a headline, an optional subline, the
//! brand name and a call-to-action (CTA) button, and encodes it as PNG. Rendering is
//! deterministic: the same [`BannerSpec`] always produces the same bytes. Fonts (DejaVu Sans Bold
//! and DejaVu Sans) are embedded in the binary.
//!
//! # Layout
//!
//! * **Stacked** (most sizes): brand name small (or the logo) at the top left, headline and
//!   subline centred vertically in the middle band, CTA button at the bottom left, and a thin
//!   accent stripe along the bottom edge. Landscape sizes (width ≥ 1.3 × height) keep the text in
//!   a column on the left 60% and fill the right side with a pattern in the brand's colours.
//! * **Row** (wide, short banners such as the 728×90 leaderboard: width ≥ 4 × height or height
//!   below 150 px): accent bar on the left edge, brand name left of the headline, headline in the
//!   middle (at most two lines) and CTA button on the right. The brand name is omitted when it
//!   would need more than a fifth of the width or squeeze the headline; the subline is never
//!   drawn in this layout.
//!
//! Lines are balanced: the same number of lines as a greedy wrap, at the narrowest width that
//! needs no more, and a lone last word gets company from the line above when it fits.
//! The headline shrinks step by step from a size-dependent maximum until it fits its box; words
//! wider than a line are broken between characters. If even the minimum size does not fit, the
//! last line ends with "…" and [`RenderedBanner::truncated`] is set. Every piece of text is
//! clipped to its own region, so nothing is ever drawn outside the canvas margins.
//!
//! # Colours
//!
//! Text is black or white, whichever contrasts more with the background. If that is still below
//! [`MIN_TEXT_CONTRAST`](crate::colour::MIN_TEXT_CONTRAST), the background is moved towards the
//! opposite end until it passes. The CTA label and the accent colour are treated the same way.
//! When the CTA button is hard to tell apart from the background (below 3:1), it gets a border in
//! the text colour.

mod layout;
mod paint;
#[cfg(test)]
mod tests;
mod text;

pub use crate::colour::Rgb;
pub use layout::PixelBox;

use crate::colour::{MIN_TEXT_CONTRAST, contrast_ratio, readable_on};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder, RgbImage};
use layout::{Texts, layout_row, layout_stacked};
use paint::Painter;
use serde::Serialize;
use text::{Face, Prepared, TextBlock};

/// Below this contrast between button and background the CTA button gets a border.
const MIN_BUTTON_CONTRAST: f64 = 3.0;
/// Smallest supported banner width in pixels.
pub const MIN_WIDTH: u32 = 100;
/// Smallest supported banner height in pixels.
pub const MIN_HEIGHT: u32 = 50;
/// Largest supported banner width or height in pixels.
pub const MAX_DIMENSION: u32 = 4096;

/// Characters of headline considered for layout; more can never fit any supported size.
const MAX_HEADLINE_CHARS: usize = 2000;
/// Characters of subline considered for layout.
const MAX_SUBLINE_CHARS: usize = 600;
/// Characters of CTA label or brand name considered for layout.
const MAX_LABEL_CHARS: usize = 120;

/// A standard banner size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BannerSize {
    /// Short identifier, e.g. `"square"`.
    pub name: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// 1200x628 ("link" / landscape social), 1080x1080 ("square"), 1600x900 ("wide"), 728x90
/// ("leaderboard").
pub const STANDARD_SIZES: [BannerSize; 4] = [
    BannerSize {
        name: "link",
        width: 1200,
        height: 628,
    },
    BannerSize {
        name: "square",
        width: 1080,
        height: 1080,
    },
    BannerSize {
        name: "wide",
        width: 1600,
        height: 900,
    },
    BannerSize {
        name: "leaderboard",
        width: 728,
        height: 90,
    },
];

impl BannerSize {
    /// Looks up one of [`STANDARD_SIZES`] by name.
    pub fn by_name(name: &str) -> Option<&'static BannerSize> {
        let sizes: &'static [BannerSize; 4] = &STANDARD_SIZES;
        sizes.iter().find(|s| s.name == name)
    }

    /// The layout used for this size.
    pub fn layout(&self) -> BannerLayout {
        if self.width >= 4 * self.height || self.height < 150 {
            BannerLayout::Row
        } else {
            BannerLayout::Stacked
        }
    }
}

/// How the elements of a banner are arranged (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BannerLayout {
    /// Brand on top, headline and subline in the middle, CTA at the bottom.
    Stacked,
    /// A single row: brand, headline, CTA button on the right; no subline.
    Row,
}

/// What to draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BannerSpec<'a> {
    /// Canvas size.
    pub size: &'a BannerSize,
    /// Main message; must contain something visible.
    pub headline: &'a str,
    /// Optional secondary line (stacked layout only); blank counts as absent.
    pub subline: Option<&'a str>,
    /// Button label; must not be blank.
    pub cta: &'a str,
    /// Brand name drawn small; blank means none.
    pub brand_name: &'a str,
    /// Background fill (may be adjusted for contrast).
    pub background: Rgb,
    /// Accent colour for the CTA button and decoration (may be adjusted for contrast).
    pub accent: Rgb,
    /// The brand's logo, drawn in place of the brand name (on a chip when it would not stand
    /// out from the background).
    pub logo: Option<&'a image::RgbaImage>,
}

/// A rendered banner with its layout measurements.
#[derive(Clone, PartialEq)]
pub struct RenderedBanner {
    /// PNG bytes (8-bit RGB).
    pub png: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Layout used.
    pub layout: BannerLayout,
    /// Headline as drawn, one entry per line.
    pub headline_lines: Vec<String>,
    /// Bounds of the drawn headline glyphs.
    pub headline_box: PixelBox,
    /// Headline font size in pixels (ascent-to-descent height).
    pub font_px: f32,
    /// Whether the headline was cut and ends with "…".
    pub truncated: bool,
    /// Characters of the texts the embedded font has no glyph for (drawn as empty boxes), each
    /// once in the order met; empty when every character could be drawn.
    pub missing_glyphs: Vec<char>,
    /// Subline as drawn, one entry per line (empty when not drawn).
    pub subline_lines: Vec<String>,
    /// Bounds of the drawn subline glyphs.
    pub subline_box: Option<PixelBox>,
    /// Bounds of the drawn brand name or logo, `None` when omitted.
    pub brand_box: Option<PixelBox>,
    /// Whether the logo was drawn (in place of the brand name).
    pub logo_drawn: bool,
    /// The side panel of a landscape banner filled with a pattern in the brand's colours.
    pub decor_box: Option<PixelBox>,
    /// CTA label as drawn (may end with "…").
    pub cta_label: String,
    /// The CTA button, including its border.
    pub cta_box: PixelBox,
    /// Whether the CTA button got a border because it blends into the background.
    pub cta_outline: bool,
    /// The decorative accent band (bottom stripe or left bar).
    pub accent_box: PixelBox,
    /// Smallest distance kept between any text and the canvas edges.
    pub margin: u32,
    /// Colour of headline, subline and brand name.
    pub text_color: Rgb,
    /// Background actually used (after any contrast adjustment).
    pub background: Rgb,
    /// Colour of the CTA label.
    pub cta_text_color: Rgb,
    /// Accent actually used (after any contrast adjustment).
    pub accent: Rgb,
    /// Contrast between `text_color` and `background`.
    pub text_contrast: f64,
    /// Contrast between `cta_text_color` and `accent`.
    pub cta_contrast: f64,
}

impl std::fmt::Debug for RenderedBanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderedBanner")
            .field("png_len", &self.png.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .field("layout", &self.layout)
            .field("headline_lines", &self.headline_lines)
            .field("headline_box", &self.headline_box)
            .field("font_px", &self.font_px)
            .field("truncated", &self.truncated)
            .field("missing_glyphs", &self.missing_glyphs)
            .field("subline_lines", &self.subline_lines)
            .field("subline_box", &self.subline_box)
            .field("brand_box", &self.brand_box)
            .field("logo_drawn", &self.logo_drawn)
            .field("decor_box", &self.decor_box)
            .field("cta_label", &self.cta_label)
            .field("cta_box", &self.cta_box)
            .field("cta_outline", &self.cta_outline)
            .field("accent_box", &self.accent_box)
            .field("margin", &self.margin)
            .field("text_color", &self.text_color)
            .field("background", &self.background)
            .field("cta_text_color", &self.cta_text_color)
            .field("accent", &self.accent)
            .field("text_contrast", &self.text_contrast)
            .field("cta_contrast", &self.cta_contrast)
            .finish()
    }
}

/// Why a banner could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum BannerError {
    /// The requested canvas is too small or too large.
    #[error(
        "banner size {width}x{height} is outside the supported range \
         ({MIN_WIDTH}x{MIN_HEIGHT} to {MAX_DIMENSION}x{MAX_DIMENSION})"
    )]
    InvalidSize {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// A required text has nothing visible to draw.
    #[error("the banner {0} has no visible text")]
    EmptyText(&'static str),
    /// An embedded font failed to parse.
    #[error("embedded font is invalid: {0}")]
    Font(#[from] ab_glyph::InvalidFont),
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Encode(#[from] image::ImageError),
}

/// Renders `spec` to a PNG banner.
pub fn render_banner(spec: &BannerSpec<'_>) -> Result<RenderedBanner, BannerError> {
    let (width, height) = (spec.size.width, spec.size.height);
    if !(MIN_WIDTH..=MAX_DIMENSION).contains(&width)
        || !(MIN_HEIGHT..=MAX_DIMENSION).contains(&height)
    {
        return Err(BannerError::InvalidSize { width, height });
    }
    let bold = Face::load(dejavu::sans::bold())?;
    let regular = Face::load(dejavu::sans::regular())?;

    let headline = bold.prepare(spec.headline, MAX_HEADLINE_CHARS);
    if !headline.has_ink() {
        return Err(BannerError::EmptyText("headline"));
    }
    let cta = bold.prepare(spec.cta, MAX_LABEL_CHARS);
    if !cta.has_ink() {
        return Err(BannerError::EmptyText("cta"));
    }
    let brand = Some(bold.prepare(spec.brand_name, MAX_LABEL_CHARS)).filter(Prepared::has_ink);
    let subline = spec
        .subline
        .map(|s| regular.prepare(s, MAX_SUBLINE_CHARS))
        .filter(Prepared::has_ink);

    let (background, text_color, text_contrast) = readable_on(spec.background, MIN_TEXT_CONTRAST);
    let (accent, cta_text_color, cta_contrast) = readable_on(spec.accent, MIN_TEXT_CONTRAST);
    let cta_outline = contrast_ratio(accent, background) < MIN_BUTTON_CONTRAST;

    let mut painter = Painter {
        img: RgbImage::from_pixel(width, height, background.pixel()),
        background,
        text_color,
        cta_text_color,
        accent,
        cta_outline,
    };
    let texts = Texts {
        headline: &headline,
        subline: subline.as_ref(),
        brand: brand.as_ref(),
        logo: spec.logo,
        cta: &cta,
    };
    let placed = match spec.size.layout() {
        BannerLayout::Stacked => layout_stacked(&bold, &regular, &texts, &mut painter),
        BannerLayout::Row => layout_row(&bold, &texts, &mut painter),
    };

    let mut png = Vec::new();
    PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Adaptive)
        .write_image(painter.img.as_raw(), width, height, ExtendedColorType::Rgb8)?;

    Ok(RenderedBanner {
        png,
        width,
        height,
        layout: spec.size.layout(),
        headline_lines: placed.headline.line_strings(),
        headline_box: placed.headline_box,
        font_px: placed.headline.px,
        truncated: placed.headline.truncated,
        missing_glyphs: missing_glyphs(
            &bold,
            [
                Some(spec.headline),
                spec.subline,
                Some(spec.cta),
                Some(spec.brand_name),
            ]
            .into_iter()
            .flatten(),
        ),
        subline_lines: placed
            .subline
            .as_ref()
            .map(TextBlock::line_strings)
            .unwrap_or_default(),
        subline_box: placed.subline_box,
        brand_box: placed.brand_box,
        logo_drawn: placed.logo_drawn,
        decor_box: placed.decor_box,
        cta_label: placed.cta.line_strings().concat(),
        cta_box: placed.cta_box,
        cta_outline,
        accent_box: placed.accent_box,
        margin: placed.margin,
        text_color,
        background,
        cta_text_color,
        accent,
        text_contrast,
        cta_contrast,
    })
}

/// The visible characters of `texts` that `face` cannot draw, each once in the order met.
fn missing_glyphs<'a>(face: &Face, texts: impl Iterator<Item = &'a str>) -> Vec<char> {
    let mut missing = Vec::new();
    for c in texts.flat_map(str::chars) {
        if !c.is_whitespace() && !c.is_control() && !face.has_glyph(c) && !missing.contains(&c) {
            missing.push(c);
        }
    }
    missing
}
