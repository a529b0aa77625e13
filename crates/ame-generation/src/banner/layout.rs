//! Where each element of a banner goes: the stacked and row layouts, the CTA button, and the
//! pixel boxes and regions they are placed in.

use super::paint::Painter;
use super::text::{Face, FitLimits, Prepared, TextBlock};
use crate::colour::{Rgb, contrast_ratio};
use image::RgbaImage;
use image::imageops::FilterType;
use serde::Serialize;

/// Landscape banners at least this much wider than tall keep their right side for a pattern in
/// the brand's colours instead of stretching the text across it.
const PANEL_ASPECT: f32 = 1.3;
/// Share of a landscape banner's width given to the text column.
const TEXT_COLUMN_SHARE: f32 = 0.6;
/// Below this contrast with the background a logo sits on a light or dark chip.
const MIN_LOGO_CONTRAST: f64 = 3.0;

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

    /// The box between the edges `x0..x1` and `y0..y1`, clamped to the canvas's top-left.
    pub(super) fn from_edges(x0: i32, y0: i32, x1: i32, y1: i32) -> PixelBox {
        let (x0, y0) = (x0.max(0), y0.max(0));
        PixelBox {
            x: x0 as u32,
            y: y0 as u32,
            w: (x1 - x0).max(0) as u32,
            h: (y1 - y0).max(0) as u32,
        }
    }

    /// The smallest box covering both; an empty box adds nothing.
    pub(super) fn union(self, other: PixelBox) -> PixelBox {
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

/// The prepared texts of one banner.
pub(super) struct Texts<'t> {
    pub(super) headline: &'t Prepared,
    pub(super) subline: Option<&'t Prepared>,
    pub(super) brand: Option<&'t Prepared>,
    pub(super) logo: Option<&'t RgbaImage>,
    pub(super) cta: &'t Prepared,
}

/// Everything a layout placed on the canvas.
pub(super) struct Placed {
    pub(super) headline: TextBlock,
    pub(super) headline_box: PixelBox,
    pub(super) subline: Option<TextBlock>,
    pub(super) subline_box: Option<PixelBox>,
    pub(super) brand_box: Option<PixelBox>,
    pub(super) logo_drawn: bool,
    pub(super) cta: TextBlock,
    pub(super) cta_box: PixelBox,
    pub(super) accent_box: PixelBox,
    pub(super) decor_box: Option<PixelBox>,
    pub(super) margin: u32,
}

/// Brand on top, headline and subline centred in the middle band, CTA bottom-left, accent
/// stripe along the bottom edge.
pub(super) fn layout_stacked(
    bold: &Face,
    regular: &Face,
    texts: &Texts<'_>,
    painter: &mut Painter,
) -> Placed {
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

    let landscape = w >= PANEL_ASPECT * h;
    let inner_w = if landscape {
        (w * TEXT_COLUMN_SHARE).round() - margin
    } else {
        inner_w
    };
    let decor_box = landscape.then(|| {
        let panel = PixelBox::from_edges(
            (inner_x + inner_w + margin) as i32,
            0,
            w as i32,
            (h - stripe_h) as i32,
        );
        decorate(painter, panel);
        panel
    });

    let mut content_top = top;
    let mut brand_box = None;
    let mut logo_drawn = false;
    let logo_h = (short_side * 0.09).clamp(24.0, 110.0).round();
    if let Some(logo) = texts.logo
        && let Some(drawn) = place_logo(painter, logo, (inner_x, top), logo_h, inner_w * 0.5)
    {
        logo_drawn = true;
        content_top = drawn.bottom() as f32 + gap;
        brand_box = Some(drawn);
        // A mark (not a wordmark) is followed by the brand name, centred on it.
        if let Some(logo) = texts.logo
            && logo.width() * 5 < logo.height() * 8
            && let Some(brand) = texts.brand
        {
            let px = (drawn.h as f32 * 0.5).clamp(12.0, 48.0);
            let left = drawn.right() as f32 + gap;
            let room = inner_w - (left - inner_x);
            let block = bold.fit(brand, &FitLimits::single_line(room, px, px * 0.6));
            if !block.truncated {
                let top = drawn.y as f32 + ((drawn.h as f32 - block.height()) / 2.0).floor();
                let region = Region::new(left, top, room, block.height());
                if let Some(name) =
                    painter.draw_block(bold, &block, region, Align::Left, painter.text_color)
                {
                    brand_box = Some(drawn.union(name));
                }
            }
        }
    } else if let Some(brand) = texts.brand {
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
        logo_drawn,
        cta,
        cta_box,
        accent_box,
        decor_box,
        margin: margin as u32,
    }
}

/// Fills `panel` with a quiet pattern in the brand's colours: a large disc a shade off the
/// background bleeding off the edge, then a ring and a grid of dots mixed from the accent.
fn decorate(painter: &mut Painter, panel: PixelBox) {
    let background = painter.background;
    let accent = painter.accent;
    let (x, y, w, h) = (
        panel.x as f32,
        panel.y as f32,
        panel.w as f32,
        panel.h as f32,
    );
    let unit = w.min(h);
    painter.circle(
        (x + w * 0.72, y + h * 0.42),
        unit * 0.62,
        None,
        mix(background, painter.text_color, 0.1),
        panel,
    );
    painter.circle(
        (x + w * 0.38, y + h * 0.78),
        unit * 0.26,
        Some((unit * 0.025).max(2.0)),
        mix(background, accent, 0.55),
        panel,
    );
    let dot = (unit * 0.012).max(1.5);
    let step = unit * 0.07;
    for row in 0..4 {
        for col in 0..5 {
            painter.circle(
                (
                    x + w * 0.16 + col as f32 * step,
                    y + h * 0.14 + row as f32 * step,
                ),
                dot,
                None,
                mix(background, accent, 0.8),
                panel,
            );
        }
    }
}

/// `from` moved the share `t` (0..=1) of the way to `to`.
fn mix(from: Rgb, to: Rgb, t: f32) -> Rgb {
    let channel = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
    Rgb(
        channel(from.0, to.0),
        channel(from.1, to.1),
        channel(from.2, to.2),
    )
}

/// Draws `logo` scaled to `height` (narrower when it would exceed `max_w`) with its top-left
/// at `at`, on a chip when it would not stand out from the background; the drawn box, or
/// `None` when the logo cannot be drawn legibly in the room given.
fn place_logo(
    painter: &mut Painter,
    logo: &RgbaImage,
    (left, top): (f32, f32),
    height: f32,
    max_w: f32,
) -> Option<PixelBox> {
    let (lw, lh) = (logo.width() as f32, logo.height() as f32);
    if lw < 1.0 || lh < 1.0 {
        return None;
    }
    let chip = logo_chip(logo, painter.background);
    let pad = if chip.is_some() {
        (height * 0.18).round()
    } else {
        0.0
    };
    let inner_h = height - 2.0 * pad;
    let scale = (inner_h / lh).min((max_w - 2.0 * pad) / lw);
    let (tw, th) = ((lw * scale).round(), (lh * scale).round());
    if tw < 8.0 || th < 8.0 {
        return None;
    }
    let scaled = image::imageops::resize(logo, tw as u32, th as u32, FilterType::Triangle);
    let outer = PixelBox::from_edges(
        left as i32,
        top as i32,
        (left + tw + 2.0 * pad) as i32,
        (top + th + 2.0 * pad) as i32,
    );
    if let Some(color) = chip {
        painter.fill_rounded(outer, (pad * 0.8).round(), color);
    }
    painter.draw_image(&scaled, (left + pad) as u32, (top + pad) as u32);
    Some(outer)
}

/// The chip colour a logo needs on `background` (white or black, whichever sets off its
/// average opaque colour more), or `None` when the logo already stands out.
fn logo_chip(logo: &RgbaImage, background: Rgb) -> Option<Rgb> {
    let (mut sum, mut count) = ([0u64; 3], 0u64);
    for p in logo.pixels().filter(|p| p.0[3] >= 128) {
        for (total, channel) in sum.iter_mut().zip(p.0) {
            *total += u64::from(channel);
        }
        count += 1;
    }
    let count = count.max(1);
    let average = Rgb(
        (sum[0] / count) as u8,
        (sum[1] / count) as u8,
        (sum[2] / count) as u8,
    );
    if contrast_ratio(average, background) >= MIN_LOGO_CONTRAST {
        return None;
    }
    Some(
        if contrast_ratio(average, Rgb::WHITE) >= contrast_ratio(average, Rgb::BLACK) {
            Rgb::WHITE
        } else {
            Rgb::BLACK
        },
    )
}

/// Accent bar on the left edge, brand and headline in one row, CTA button on the right.
pub(super) fn layout_row(bold: &Face, texts: &Texts<'_>, painter: &mut Painter) -> Placed {
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
    let mut logo_drawn = false;
    let logo_h = (h - 2.0 * v_margin).round();
    let logo_top = ((h - logo_h) / 2.0).floor();
    if let Some(logo) = texts.logo
        && let Some(drawn) = place_logo(painter, logo, (left, logo_top), logo_h, w * 0.2)
    {
        brand_box = Some(drawn);
        logo_drawn = true;
        left = drawn.right() as f32 + h_margin;
    } else if let Some(brand) = texts.brand {
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
        logo_drawn,
        cta,
        cta_box,
        accent_box,
        decor_box: None,
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
pub(super) struct Region {
    pub(super) left: f32,
    pub(super) top: f32,
    pub(super) width: f32,
    pub(super) height: f32,
}

impl Region {
    /// Snaps the position and size to whole pixels.
    fn new(left: f32, top: f32, width: f32, height: f32) -> Region {
        Region {
            left: left.round(),
            top: top.round(),
            width: width.floor().max(0.0),
            height: height.ceil().max(0.0),
        }
    }
}

/// How a text block sits horizontally in its region.
#[derive(Debug, Clone, Copy)]
pub(super) enum Align {
    /// Flush with the region's left edge.
    Left,
    /// Centred in the region.
    Center,
}
