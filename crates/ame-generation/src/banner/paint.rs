//! Drawing on the canvas: filled and rounded rectangles, and text blocks rasterized glyph by
//! glyph, blended by coverage and clipped to their regions.

use super::layout::{Align, PixelBox, Region};
use super::text::{Face, GlyphInfo, TextBlock};
use crate::colour::Rgb;
use ab_glyph::{Font, Glyph, PxScale, point};
use image::RgbImage;

impl Rgb {
    /// The colour as an `image` pixel.
    pub(super) fn pixel(self) -> image::Rgb<u8> {
        image::Rgb([self.0, self.1, self.2])
    }
}

/// The canvas plus the colours shared by all drawing steps.
pub(super) struct Painter {
    pub(super) img: RgbImage,
    pub(super) background: Rgb,
    pub(super) text_color: Rgb,
    pub(super) cta_text_color: Rgb,
    pub(super) accent: Rgb,
    pub(super) cta_outline: bool,
}

impl Painter {
    /// Canvas width and height.
    pub(super) fn size(&self) -> (f32, f32) {
        (self.img.width() as f32, self.img.height() as f32)
    }

    /// Fills `area` (cut at the canvas edges) with `color`.
    pub(super) fn fill_rect(&mut self, area: PixelBox, color: Rgb) {
        let (w, h) = self.img.dimensions();
        for y in area.y..area.bottom().min(h) {
            for x in area.x..area.right().min(w) {
                self.img.put_pixel(x, y, color.pixel());
            }
        }
    }

    /// Fills a rectangle with anti-aliased rounded corners of radius `radius`.
    pub(super) fn fill_rounded(&mut self, area: PixelBox, radius: f32, color: Rgb) {
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
    pub(super) fn draw_block(
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
    pub(super) fn draw_clipped(
        &mut self,
        face: &Face,
        block: &TextBlock,
        region: Region,
        clip: Region,
        color: Rgb,
    ) -> Option<PixelBox> {
        self.draw_in(face, block, region, clip, Align::Left, color)
    }

    /// Draws `block` at `region` with the given alignment, clipped to `clip`; returns the
    /// drawn bounds.
    pub(super) fn draw_in(
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

impl Painter {
    /// Blends an anti-aliased disc (`ring`: `None`) or circle outline `ring` pixels thick,
    /// centred at `(cx, cy)` with radius `r`, in `color`, drawn only inside `clip`.
    pub(super) fn circle(
        &mut self,
        (cx, cy): (f32, f32),
        r: f32,
        ring: Option<f32>,
        color: Rgb,
        clip: PixelBox,
    ) {
        let reach = r + ring.unwrap_or(0.0);
        let (w, h) = self.img.dimensions();
        let y0 = ((cy - reach).floor().max(0.0) as u32).max(clip.y);
        let y1 = ((cy + reach).ceil().max(0.0) as u32 + 1)
            .min(clip.bottom())
            .min(h);
        let x0 = ((cx - reach).floor().max(0.0) as u32).max(clip.x);
        let x1 = ((cx + reach).ceil().max(0.0) as u32 + 1)
            .min(clip.right())
            .min(w);
        for y in y0..y1 {
            for x in x0..x1 {
                let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                let coverage = match ring {
                    None => r - d + 0.5,
                    Some(thick) => thick / 2.0 - (d - r).abs() + 0.5,
                };
                if coverage > 0.0 {
                    blend(self.img.get_pixel_mut(x, y), color, coverage.min(1.0));
                }
            }
        }
    }

    /// Draws `image` with its top-left corner at `(x, y)`, blended by its alpha channel and cut
    /// at the canvas edges.
    pub(super) fn draw_image(&mut self, image: &image::RgbaImage, x: u32, y: u32) {
        let (w, h) = self.img.dimensions();
        for (ix, iy, p) in image.enumerate_pixels() {
            let (cx, cy) = (x + ix, y + iy);
            if cx < w && cy < h && p.0[3] > 0 {
                let color = Rgb(p.0[0], p.0[1], p.0[2]);
                blend(
                    self.img.get_pixel_mut(cx, cy),
                    color,
                    f32::from(p.0[3]) / 255.0,
                );
            }
        }
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
