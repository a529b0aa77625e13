//! PNG banner rendering for marketing image assets.
//!
//! [`render_banner`] draws a brand-coloured banner with a headline, an optional subline, the
//! brand name and a call-to-action (CTA) button, and encodes it as PNG. Rendering is
//! deterministic: the same [`BannerSpec`] always produces the same bytes. Fonts (DejaVu Sans Bold
//! and DejaVu Sans) are embedded in the binary.
//!
//! # Layout
//!
//! * **Stacked** (most sizes): brand name small at the top left, headline and subline centred
//!   vertically in the middle band, CTA button at the bottom left, and a thin accent stripe along
//!   the bottom edge.
//! * **Row** (wide, short banners such as the 728×90 leaderboard: width ≥ 4 × height or height
//!   below 150 px): accent bar on the left edge, brand name left of the headline, headline in the
//!   middle (at most two lines) and CTA button on the right. The brand name is omitted when it
//!   would need more than a fifth of the width or squeeze the headline; the subline is never
//!   drawn in this layout.
//!
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

pub use crate::colour::Rgb;

use crate::colour::{MIN_TEXT_CONTRAST, contrast_ratio, readable_on};
use ab_glyph::{Font, FontRef, Glyph, GlyphId, Outline, PxScale, PxScaleFactor, ScaleFont, point};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder, RgbImage};
use serde::Serialize;

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
/// Line pitch as a multiple of the font's ascent-to-descent height.
const LINE_SPACING: f32 = 1.02;
/// Relative font-size decrease per fitting step.
const SHRINK_STEP: f32 = 0.06;
const ELLIPSIS: char = '\u{2026}';

impl Rgb {
    /// The colour as an `image` pixel.
    fn pixel(self) -> image::Rgb<u8> {
        image::Rgb([self.0, self.1, self.2])
    }
}

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
}

/// A pixel rectangle; `x`/`y` is the top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PixelBox {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

impl PixelBox {
    /// One past the right-most column.
    pub fn right(&self) -> u32 {
        self.x + self.w
    }

    /// One past the bottom row.
    pub fn bottom(&self) -> u32 {
        self.y + self.h
    }

    /// Whether pixel `(px, py)` lies inside.
    pub fn contains(&self, px: u32, py: u32) -> bool {
        px >= self.x && px < self.right() && py >= self.y && py < self.bottom()
    }

    /// Whether the box keeps at least `margin` pixels from every edge of a `width`×`height`
    /// canvas.
    pub fn is_inside(&self, width: u32, height: u32, margin: u32) -> bool {
        self.x >= margin
            && self.y >= margin
            && self.right() + margin <= width
            && self.bottom() + margin <= height
    }

    /// Whether the two boxes share at least one pixel.
    pub fn intersects(&self, other: &PixelBox) -> bool {
        self.x < other.right()
            && other.x < self.right()
            && self.y < other.bottom()
            && other.y < self.bottom()
    }

    fn from_edges(x0: i32, y0: i32, x1: i32, y1: i32) -> PixelBox {
        let (x0, y0) = (x0.max(0), y0.max(0));
        PixelBox {
            x: x0 as u32,
            y: y0 as u32,
            w: (x1 - x0).max(0) as u32,
            h: (y1 - y0).max(0) as u32,
        }
    }

    fn union(self, other: PixelBox) -> PixelBox {
        if self.w == 0 || self.h == 0 {
            return other;
        }
        if other.w == 0 || other.h == 0 {
            return self;
        }
        let (x0, y0) = (self.x.min(other.x), self.y.min(other.y));
        let (x1, y1) = (
            self.right().max(other.right()),
            self.bottom().max(other.bottom()),
        );
        PixelBox {
            x: x0,
            y: y0,
            w: x1 - x0,
            h: y1 - y0,
        }
    }
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
    /// Subline as drawn, one entry per line (empty when not drawn).
    pub subline_lines: Vec<String>,
    /// Bounds of the drawn subline glyphs.
    pub subline_box: Option<PixelBox>,
    /// Bounds of the drawn brand name, `None` when omitted.
    pub brand_box: Option<PixelBox>,
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
            .field("subline_lines", &self.subline_lines)
            .field("subline_box", &self.subline_box)
            .field("brand_box", &self.brand_box)
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
        text_color,
        cta_text_color,
        accent,
        cta_outline,
    };
    let texts = Texts {
        headline: &headline,
        subline: subline.as_ref(),
        brand: brand.as_ref(),
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
        subline_lines: placed
            .subline
            .as_ref()
            .map(TextBlock::line_strings)
            .unwrap_or_default(),
        subline_box: placed.subline_box,
        brand_box: placed.brand_box,
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

/// The prepared texts of one banner.
struct Texts<'t> {
    headline: &'t Prepared,
    subline: Option<&'t Prepared>,
    brand: Option<&'t Prepared>,
    cta: &'t Prepared,
}

/// Everything a layout placed on the canvas.
struct Placed {
    headline: TextBlock,
    headline_box: PixelBox,
    subline: Option<TextBlock>,
    subline_box: Option<PixelBox>,
    brand_box: Option<PixelBox>,
    cta: TextBlock,
    cta_box: PixelBox,
    accent_box: PixelBox,
    margin: u32,
}

/// Brand on top, headline and subline centred in the middle band, CTA bottom-left, accent
/// stripe along the bottom edge.
fn layout_stacked(bold: &Face, regular: &Face, texts: &Texts<'_>, painter: &mut Painter) -> Placed {
    let (w, h) = painter.size();
    let short_side = w.min(h);
    let margin = (short_side * 0.06).round().max(8.0);
    let stripe_h = (h * 0.012).round().max(4.0);
    let inner_x = margin;
    let inner_w = w - 2.0 * margin;
    let top = margin;
    let bottom = h - stripe_h - margin;
    let gap = (margin * 0.5).round();

    let accent_box = PixelBox::from_edges(0, (h - stripe_h) as i32, w as i32, h as i32);
    painter.fill_rect(accent_box, painter.accent);

    let mut content_top = top;
    let mut brand_box = None;
    if let Some(brand) = texts.brand {
        let px = (short_side * 0.04).clamp(12.0, 44.0);
        let block = bold.fit(brand, &FitLimits::single_line(inner_w * 0.7, px, px));
        let region = Region::new(inner_x, top, inner_w * 0.7, block.height());
        brand_box = painter.draw_block(bold, &block, region, Align::Left, painter.text_color);
        content_top = top + block.height() + gap;
    }

    let button_h = (h * 0.11).min(w * 0.2).round().max(28.0);
    let (cta, cta_box) = place_button(
        bold,
        texts.cta,
        painter,
        ButtonArea {
            height: button_h,
            max_width: inner_w,
            left: Some(inner_x),
            right: None,
            top: bottom - button_h,
        },
    );
    let content_bottom = cta_box.y as f32 - gap;
    let content_h = (content_bottom - content_top).max(1.0);
    let content = Region::new(inner_x, content_top, inner_w, content_h);

    let sub_gap = (margin * 0.4).round();
    let subline = texts.subline.map(|text| {
        let max_px = (short_side * 0.04).clamp(13.0, 40.0);
        regular.fit(
            text,
            &FitLimits {
                max_w: inner_w,
                max_h: content_h * 0.35,
                max_lines: 2,
                max_px,
                min_px: 12.0_f32.min(max_px),
            },
        )
    });
    let sub_h = subline.as_ref().map_or(0.0, |s| s.height() + sub_gap);

    let head_max_px = (h * 0.12).max(16.0);
    let headline = bold.fit(
        texts.headline,
        &FitLimits {
            max_w: inner_w,
            max_h: (content_h - sub_h).max(1.0),
            max_lines: (h / 150.0).clamp(2.0, 6.0) as usize,
            max_px: head_max_px,
            min_px: (short_side * 0.05).max(16.0).min(head_max_px),
        },
    );

    let group_h = headline.height() + sub_h;
    let group_top = content_top + ((content_h - group_h) / 2.0).max(0.0).floor();
    let head_region = Region {
        top: group_top,
        ..content
    };
    let headline_box = painter
        .draw_clipped(bold, &headline, head_region, content, painter.text_color)
        .unwrap_or_default();
    let subline_box = subline.as_ref().and_then(|block| {
        let region = Region {
            top: group_top + headline.height() + sub_gap,
            ..content
        };
        painter.draw_clipped(regular, block, region, content, painter.text_color)
    });

    Placed {
        headline,
        headline_box,
        subline,
        subline_box,
        brand_box,
        cta,
        cta_box,
        accent_box,
        margin: margin as u32,
    }
}

/// Accent bar on the left edge, brand and headline in one row, CTA button on the right.
fn layout_row(bold: &Face, texts: &Texts<'_>, painter: &mut Painter) -> Placed {
    let (w, h) = painter.size();
    let v_margin = (h * 0.14).round().max(4.0);
    let h_margin = (h * 0.2).round().max(8.0);
    let bar_w = (h * 0.07).round().max(3.0);

    let accent_box = PixelBox::from_edges(0, 0, bar_w as i32, h as i32);
    painter.fill_rect(accent_box, painter.accent);

    let button_h = (h * 0.5)
        .round()
        .clamp(20.0, (h - 2.0 * v_margin).max(20.0));
    let (cta, cta_box) = place_button(
        bold,
        texts.cta,
        painter,
        ButtonArea {
            height: button_h,
            max_width: w * 0.3,
            left: None,
            right: Some(w - h_margin),
            top: ((h - button_h) / 2.0).floor(),
        },
    );

    let mut left = bar_w + h_margin;
    let text_right = cta_box.x as f32 - h_margin;
    let region_h = h - 2.0 * v_margin;

    let mut brand_box = None;
    if let Some(brand) = texts.brand {
        let px = (h * 0.2).clamp(10.0, 20.0);
        let block = bold.fit(brand, &FitLimits::single_line(w * 0.2, px, px));
        let brand_w = block.width();
        if !block.truncated && text_right - (left + brand_w + h_margin) >= w * 0.3 {
            let top = v_margin + ((region_h - block.height()) / 2.0).floor();
            let region = Region::new(left, top, brand_w, block.height());
            brand_box = painter.draw_block(bold, &block, region, Align::Left, painter.text_color);
            left += brand_w + h_margin;
        }
    }

    let head_w = (text_right - left).max(1.0);
    let head_max_px = (h * 0.36).max(12.0);
    let headline = bold.fit(
        texts.headline,
        &FitLimits {
            max_w: head_w,
            max_h: region_h.max(1.0),
            max_lines: 2,
            max_px: head_max_px,
            min_px: (h * 0.14).max(10.0).min(head_max_px),
        },
    );
    let content = Region::new(left, v_margin, head_w, region_h);
    let head_region = Region {
        top: v_margin + ((region_h - headline.height()) / 2.0).max(0.0).floor(),
        ..content
    };
    let headline_box = painter
        .draw_clipped(bold, &headline, head_region, content, painter.text_color)
        .unwrap_or_default();

    Placed {
        headline,
        headline_box,
        subline: None,
        subline_box: None,
        brand_box,
        cta,
        cta_box,
        accent_box,
        margin: v_margin.min(h_margin) as u32,
    }
}

/// Where a CTA button may go: anchored at `left` or, failing that, `right`.
struct ButtonArea {
    height: f32,
    max_width: f32,
    left: Option<f32>,
    right: Option<f32>,
    top: f32,
}

/// Fits the CTA label, draws the button and its centred label.
fn place_button(
    bold: &Face,
    label: &Prepared,
    painter: &mut Painter,
    area: ButtonArea,
) -> (TextBlock, PixelBox) {
    let pad = (area.height * 0.55).round();
    let label_px = area.height * 0.42;
    let block = bold.fit(
        label,
        &FitLimits::single_line(
            (area.max_width - 2.0 * pad).max(1.0),
            label_px,
            (label_px * 0.65).max(9.0).min(label_px),
        ),
    );
    let button_w = (block.width() + 2.0 * pad)
        .max(area.height * 2.0)
        .min(area.max_width)
        .round();
    let x = match (area.left, area.right) {
        (Some(left), _) => left,
        (None, Some(right)) => right - button_w,
        (None, None) => 0.0,
    };
    let button = PixelBox::from_edges(
        x as i32,
        area.top as i32,
        (x + button_w) as i32,
        (area.top + area.height) as i32,
    );
    let radius = (area.height * 0.22).round();
    let mut inner = button;
    if painter.cta_outline {
        let border = (area.height / 20.0).round().max(2.0);
        painter.fill_rounded(button, radius, painter.text_color);
        inner = PixelBox::from_edges(
            button.x as i32 + border as i32,
            button.y as i32 + border as i32,
            button.right() as i32 - border as i32,
            button.bottom() as i32 - border as i32,
        );
        painter.fill_rounded(inner, (radius - border).max(0.0), painter.accent);
    } else {
        painter.fill_rounded(button, radius, painter.accent);
    }
    let label_region = Region::new(
        button.x as f32 + pad,
        button.y as f32 + ((area.height - block.height()) / 2.0).floor(),
        button_w - 2.0 * pad,
        block.height(),
    );
    let clip = Region::new(
        inner.x as f32,
        inner.y as f32,
        inner.w as f32,
        inner.h as f32,
    );
    painter.draw_in(
        bold,
        &block,
        label_region,
        clip,
        Align::Center,
        painter.cta_text_color,
    );
    (block, button)
}

/// A rectangle in canvas coordinates (whole pixels stored as `f32`).
#[derive(Debug, Clone, Copy)]
struct Region {
    left: f32,
    top: f32,
    width: f32,
    height: f32,
}

impl Region {
    fn new(left: f32, top: f32, width: f32, height: f32) -> Region {
        Region {
            left: left.round(),
            top: top.round(),
            width: width.floor().max(0.0),
            height: height.ceil().max(0.0),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Align {
    Left,
    Center,
}

/// The canvas plus the colours shared by all drawing steps.
struct Painter {
    img: RgbImage,
    text_color: Rgb,
    cta_text_color: Rgb,
    accent: Rgb,
    cta_outline: bool,
}

impl Painter {
    fn size(&self) -> (f32, f32) {
        (self.img.width() as f32, self.img.height() as f32)
    }

    fn fill_rect(&mut self, area: PixelBox, color: Rgb) {
        let (w, h) = self.img.dimensions();
        for y in area.y..area.bottom().min(h) {
            for x in area.x..area.right().min(w) {
                self.img.put_pixel(x, y, color.pixel());
            }
        }
    }

    /// Fills a rectangle with anti-aliased rounded corners of radius `radius`.
    fn fill_rounded(&mut self, area: PixelBox, radius: f32, color: Rgb) {
        let (w, h) = self.img.dimensions();
        let r = radius
            .min(area.w as f32 / 2.0)
            .min(area.h as f32 / 2.0)
            .max(0.0);
        for dy in 0..area.h {
            let y = area.y + dy;
            if y >= h {
                break;
            }
            let from_edge = (dy.min(area.h - 1 - dy)) as f32 + 0.5;
            let inset = if from_edge < r {
                let d = r - from_edge;
                r - (r * r - d * d).max(0.0).sqrt()
            } else {
                0.0
            };
            let full = inset.ceil() as u32;
            let partial = full as f32 - inset;
            for dx in 0..area.w {
                let x = area.x + dx;
                if x >= w {
                    break;
                }
                let from_side = dx.min(area.w - 1 - dx);
                if from_side >= full {
                    self.img.put_pixel(x, y, color.pixel());
                } else if from_side + 1 == full && partial > 0.0 {
                    blend(self.img.get_pixel_mut(x, y), color, partial);
                }
            }
        }
    }

    /// Draws `block` with its first line's top at `region.top`, clipped to `region`.
    fn draw_block(
        &mut self,
        face: &Face,
        block: &TextBlock,
        region: Region,
        align: Align,
        color: Rgb,
    ) -> Option<PixelBox> {
        self.draw_in(face, block, region, region, align, color)
    }

    /// Draws left-aligned `block` at `region`, clipped to `clip`.
    fn draw_clipped(
        &mut self,
        face: &Face,
        block: &TextBlock,
        region: Region,
        clip: Region,
        color: Rgb,
    ) -> Option<PixelBox> {
        self.draw_in(face, block, region, clip, Align::Left, color)
    }

    fn draw_in(
        &mut self,
        face: &Face,
        block: &TextBlock,
        region: Region,
        clip: Region,
        align: Align,
        color: Rgb,
    ) -> Option<PixelBox> {
        let (w, h) = self.img.dimensions();
        let clip = Clip {
            x0: (clip.left as i32).max(0),
            y0: (clip.top as i32).max(0),
            x1: ((clip.left + clip.width) as i32).min(w as i32),
            y1: ((clip.top + clip.height) as i32).min(h as i32),
        };
        let first_baseline = region.top - block.top;
        let pitch = face.pitch(block.px);
        let mut drawn: Option<PixelBox> = None;
        for (i, line) in block.lines.iter().enumerate() {
            let Some(ink) = line.run.ink else { continue };
            let x = match align {
                Align::Left => region.left - ink.min_x,
                Align::Center => {
                    region.left + ((region.width - ink.width()) / 2.0).floor() - ink.min_x
                }
            };
            let baseline = first_baseline + i as f32 * pitch;
            if let Some(b) = self.draw_line(face, block.px, &line.glyphs, x, baseline, color, clip)
            {
                drawn = Some(drawn.map_or(b, |d| d.union(b)));
            }
        }
        drawn
    }

    /// Rasterizes one line with its pen origin at `(x, baseline)`; returns the drawn bounds.
    #[allow(clippy::too_many_arguments)]
    fn draw_line(
        &mut self,
        face: &Face,
        px: f32,
        glyphs: &[GlyphInfo],
        x: f32,
        baseline: f32,
        color: Rgb,
        clip: Clip,
    ) -> Option<PixelBox> {
        let sf = face.scale(px);
        let scale = PxScale::from(px);
        let mut pen = 0.0_f32;
        let mut drawn: Option<PixelBox> = None;
        for g in glyphs {
            let glyph = Glyph {
                id: g.id,
                scale,
                position: point(x + pen, baseline),
            };
            pen += g.advance * sf.horizontal;
            if g.bounds.is_none() {
                continue;
            }
            let Some(outlined) = face.font.outline_glyph(glyph) else {
                continue;
            };
            let b = outlined.px_bounds();
            let (bx, by) = (b.min.x as i32, b.min.y as i32);
            let img = &mut self.img;
            outlined.draw(|gx, gy, coverage| {
                let (cx, cy) = (bx + gx as i32, by + gy as i32);
                if clip.contains(cx, cy) && coverage > 0.0 {
                    blend(img.get_pixel_mut(cx as u32, cy as u32), color, coverage);
                }
            });
            let visible = PixelBox::from_edges(
                (b.min.x as i32).max(clip.x0),
                (b.min.y as i32).max(clip.y0),
                (b.max.x as i32).min(clip.x1),
                (b.max.y as i32).min(clip.y1),
            );
            if visible.w > 0 && visible.h > 0 {
                drawn = Some(drawn.map_or(visible, |d| d.union(visible)));
            }
        }
        drawn
    }
}

/// Blends `color` over `pixel` with the given coverage (0..=1).
fn blend(pixel: &mut image::Rgb<u8>, color: Rgb, coverage: f32) {
    let a = coverage.clamp(0.0, 1.0);
    for (channel, target) in pixel.0.iter_mut().zip([color.0, color.1, color.2]) {
        let current = f32::from(*channel);
        *channel = (current + (f32::from(target) - current) * a).round() as u8;
    }
}

/// Pixel clip rectangle, exclusive upper bounds.
#[derive(Debug, Clone, Copy)]
struct Clip {
    x0: i32,
    y0: i32,
    x1: i32,
    y1: i32,
}

impl Clip {
    fn contains(&self, x: i32, y: i32) -> bool {
        x >= self.x0 && x < self.x1 && y >= self.y0 && y < self.y1
    }
}

/// One character resolved against a font, with unscaled metrics.
#[derive(Debug, Clone, Copy)]
struct GlyphInfo {
    ch: char,
    id: GlyphId,
    advance: f32,
    bounds: Option<ab_glyph::Rect>,
}

/// Text normalised into words of glyphs.
struct Prepared {
    words: Vec<Vec<GlyphInfo>>,
    space: GlyphInfo,
    ellipsis: GlyphInfo,
    /// The input was longer than the layout limit, so the result must end in an ellipsis.
    capped: bool,
}

impl Prepared {
    fn has_ink(&self) -> bool {
        self.words.iter().flatten().any(|g| g.bounds.is_some())
    }
}

/// Ink bounds in pixels relative to the pen origin (x = 0 at line start, y = 0 at baseline).
#[derive(Debug, Clone, Copy)]
struct Ink {
    min_x: f32,
    min_y: f32,
    max_x: f32,
    max_y: f32,
}

impl Ink {
    fn union(self, o: Ink) -> Ink {
        Ink {
            min_x: self.min_x.min(o.min_x),
            min_y: self.min_y.min(o.min_y),
            max_x: self.max_x.max(o.max_x),
            max_y: self.max_y.max(o.max_y),
        }
    }

    fn width(self) -> f32 {
        self.max_x - self.min_x
    }
}

/// Pen state while laying out a line.
#[derive(Debug, Clone, Copy, Default)]
struct Run {
    pen: f32,
    ink: Option<Ink>,
}

impl Run {
    fn width(&self) -> f32 {
        self.ink.map_or(0.0, Ink::width)
    }
}

#[derive(Debug, Clone, Default)]
struct Line {
    glyphs: Vec<GlyphInfo>,
    run: Run,
}

/// Lines laid out at one font size.
#[derive(Debug, Clone)]
struct TextBlock {
    px: f32,
    lines: Vec<Line>,
    truncated: bool,
    /// Top of the block relative to the first baseline (negative).
    top: f32,
    /// Bottom of the block relative to the first baseline.
    bottom: f32,
}

impl TextBlock {
    fn height(&self) -> f32 {
        self.bottom - self.top
    }

    fn width(&self) -> f32 {
        self.lines.iter().map(|l| l.run.width()).fold(0.0, f32::max)
    }

    fn line_strings(&self) -> Vec<String> {
        self.lines
            .iter()
            .map(|l| l.glyphs.iter().map(|g| g.ch).collect())
            .collect()
    }
}

/// Constraints for fitting text into a box.
struct FitLimits {
    max_w: f32,
    max_h: f32,
    max_lines: usize,
    max_px: f32,
    min_px: f32,
}

impl FitLimits {
    fn single_line(max_w: f32, max_px: f32, min_px: f32) -> FitLimits {
        FitLimits {
            max_w,
            max_h: f32::INFINITY,
            max_lines: 1,
            max_px,
            min_px,
        }
    }
}

/// A parsed embedded font.
struct Face {
    font: FontRef<'static>,
}

impl Face {
    fn load(bytes: &'static [u8]) -> Result<Face, BannerError> {
        Ok(Face {
            font: FontRef::try_from_slice(bytes)?,
        })
    }

    fn glyph(&self, ch: char) -> GlyphInfo {
        let id = self.font.glyph_id(ch);
        GlyphInfo {
            ch,
            id,
            advance: self.font.h_advance_unscaled(id),
            bounds: self.font.outline(id).map(|o| o.bounds),
        }
    }

    /// Normalises whitespace (control characters count as spaces; no-break spaces stay inside
    /// words) and splits into words, keeping at most `max_chars` characters.
    fn prepare(&self, text: &str, max_chars: usize) -> Prepared {
        let breaks = |c: char| {
            (c.is_whitespace() || c.is_control())
                && !matches!(c, '\u{a0}' | '\u{2007}' | '\u{202f}')
        };
        let mut words = Vec::new();
        let mut budget = max_chars;
        let mut capped = false;
        for word in text.split(breaks).filter(|w| !w.is_empty()) {
            if budget == 0 {
                capped = true;
                break;
            }
            let mut glyphs = Vec::new();
            for c in word.chars() {
                if budget == 0 {
                    capped = true;
                    break;
                }
                glyphs.push(self.glyph(c));
                budget -= 1;
            }
            words.push(glyphs);
            budget = budget.saturating_sub(1);
        }
        Prepared {
            words,
            space: self.glyph(' '),
            ellipsis: self.glyph(ELLIPSIS),
            capped,
        }
    }

    fn scale(&self, px: f32) -> PxScaleFactor {
        self.font.as_scaled(PxScale::from(px)).scale_factor()
    }

    fn pitch(&self, px: f32) -> f32 {
        (px * LINE_SPACING).round()
    }

    /// Advances `run` over `glyphs`, accumulating pixel ink bounds exactly as drawing will.
    ///
    /// No kerning is applied, here or when drawing: DejaVu keeps its kerning in GPOS, which
    /// `ab_glyph` does not read.
    fn advance(&self, sf: PxScaleFactor, mut run: Run, glyphs: &[GlyphInfo]) -> Run {
        for g in glyphs {
            if let Some(bounds) = g.bounds {
                let outline = Outline {
                    bounds,
                    curves: Vec::new(),
                };
                let b = outline.px_bounds(sf, point(run.pen, 0.0));
                let ink = Ink {
                    min_x: b.min.x,
                    min_y: b.min.y,
                    max_x: b.max.x,
                    max_y: b.max.y,
                };
                run.ink = Some(run.ink.map_or(ink, |i| i.union(ink)));
            }
            run.pen += g.advance * sf.horizontal;
        }
        run
    }

    /// Greedy word wrap. Without `allow_break`, returns `None` when a word is wider than
    /// `max_w`; with it, such words are split between characters.
    fn wrap(&self, text: &Prepared, px: f32, max_w: f32, allow_break: bool) -> Option<Vec<Line>> {
        let sf = self.scale(px);
        let mut lines = Vec::new();
        let mut cur = Line::default();
        for word in &text.words {
            if !cur.glyphs.is_empty() {
                let with_space = self.advance(sf, cur.run, std::slice::from_ref(&text.space));
                let candidate = self.advance(sf, with_space, word);
                if candidate.width() <= max_w {
                    cur.glyphs.push(text.space);
                    cur.glyphs.extend_from_slice(word);
                    cur.run = candidate;
                    continue;
                }
                lines.push(std::mem::take(&mut cur));
            }
            let alone = self.advance(sf, Run::default(), word);
            if alone.width() <= max_w {
                cur = Line {
                    glyphs: word.clone(),
                    run: alone,
                };
                continue;
            }
            if !allow_break {
                return None;
            }
            for g in word {
                let candidate = self.advance(sf, cur.run, std::slice::from_ref(g));
                if candidate.width() > max_w && !cur.glyphs.is_empty() {
                    lines.push(std::mem::take(&mut cur));
                    cur.run = self.advance(sf, Run::default(), std::slice::from_ref(g));
                } else {
                    cur.run = candidate;
                }
                cur.glyphs.push(*g);
            }
        }
        if !cur.glyphs.is_empty() {
            lines.push(cur);
        }
        Some(lines)
    }

    /// Vertical extent `(top, bottom)` of `lines` relative to the first baseline: the nominal
    /// ascent/descent box widened by any ink that sticks out.
    fn extent(&self, px: f32, lines: &[Line]) -> (f32, f32) {
        let scaled = self.font.as_scaled(PxScale::from(px));
        let pitch = self.pitch(px);
        let last = lines.len().saturating_sub(1) as f32 * pitch;
        let mut top = -scaled.ascent().ceil();
        let mut bottom = last + (-scaled.descent()).ceil();
        for (i, line) in lines.iter().enumerate() {
            if let Some(ink) = line.run.ink {
                top = top.min(ink.min_y + i as f32 * pitch);
                bottom = bottom.max(ink.max_y + i as f32 * pitch);
            }
        }
        (top, bottom)
    }

    fn block(&self, px: f32, lines: Vec<Line>, truncated: bool) -> TextBlock {
        let (top, bottom) = self.extent(px, &lines);
        TextBlock {
            px,
            lines,
            truncated,
            top,
            bottom,
        }
    }

    /// Largest size (stepping down from `max_px`) at which `text` fits the limits, preferring
    /// unbroken words; otherwise the text at `min_px`, cut with an ellipsis.
    fn fit(&self, text: &Prepared, limits: &FitLimits) -> TextBlock {
        let min_px = limits.min_px.min(limits.max_px).max(1.0);
        if !text.capped {
            for allow_break in [false, true] {
                let mut px = limits.max_px.max(min_px);
                loop {
                    if let Some(lines) = self.wrap(text, px, limits.max_w, allow_break)
                        && lines.len() <= limits.max_lines
                    {
                        let block = self.block(px, lines, false);
                        if block.height() <= limits.max_h {
                            return block;
                        }
                    }
                    if px <= min_px {
                        break;
                    }
                    px = (px - (px * SHRINK_STEP).max(1.0)).max(min_px);
                }
            }
        }
        self.truncate(text, min_px, limits)
    }

    /// Wraps at `px`, keeps as many lines as the limits allow and ends the last with "…".
    fn truncate(&self, text: &Prepared, px: f32, limits: &FitLimits) -> TextBlock {
        let mut lines = self.wrap(text, px, limits.max_w, true).unwrap_or_default();
        let scaled = self.font.as_scaled(PxScale::from(px));
        let line_h = scaled.ascent().ceil() + (-scaled.descent()).ceil();
        let pitch = self.pitch(px).max(1.0);
        let by_height = if limits.max_h >= line_h {
            ((limits.max_h - line_h) / pitch).floor().min(1e6) as usize + 1
        } else {
            1
        };
        let keep = limits.max_lines.min(by_height).max(1);
        let cut = lines.len() > keep || text.capped;
        lines.truncate(keep);
        if cut && let Some(last) = lines.pop() {
            lines.push(self.ellipsize(text, px, last, limits.max_w));
        }
        self.block(px, lines, cut)
    }

    /// Drops characters from the end of `line` until it plus "…" fits `max_w`.
    fn ellipsize(&self, text: &Prepared, px: f32, line: Line, max_w: f32) -> Line {
        let sf = self.scale(px);
        let mut glyphs = line.glyphs;
        loop {
            while glyphs.last().is_some_and(|g| g.ch == ' ') {
                glyphs.pop();
            }
            let mut candidate = glyphs.clone();
            candidate.push(text.ellipsis);
            let run = self.advance(sf, Run::default(), &candidate);
            if run.width() <= max_w || glyphs.is_empty() {
                return Line {
                    glyphs: candidate,
                    run,
                };
            }
            glyphs.pop();
        }
    }
}

#[cfg(test)]
mod tests {
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
            let corner = *img.get_pixel(size.width - 1, 0);
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
}
