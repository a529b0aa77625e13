//! Text for banners: embedded font faces, text prepared into words of glyphs, greedy line
//! wrapping, and fitting a text block into a box by shrinking the font and, as a last resort,
//! cutting it with an ellipsis.

use super::BannerError;
use ab_glyph::{Font, FontRef, GlyphId, Outline, PxScale, PxScaleFactor, ScaleFont, point};

/// Line pitch as a multiple of the font's ascent-to-descent height.
const LINE_SPACING: f32 = 1.02;
/// Relative font-size decrease per fitting step.
const SHRINK_STEP: f32 = 0.06;
/// Marks text that was cut to fit.
const ELLIPSIS: char = '\u{2026}';

/// One character resolved against a font, with unscaled metrics.
#[derive(Debug, Clone, Copy)]
pub(super) struct GlyphInfo {
    ch: char,
    pub(super) id: GlyphId,
    pub(super) advance: f32,
    pub(super) bounds: Option<ab_glyph::Rect>,
}

/// Text normalised into words of glyphs.
pub(super) struct Prepared {
    words: Vec<Vec<GlyphInfo>>,
    space: GlyphInfo,
    ellipsis: GlyphInfo,
    /// The input was longer than the layout limit, so the result must end in an ellipsis.
    capped: bool,
}

impl Prepared {
    /// Whether any glyph would leave a mark.
    pub(super) fn has_ink(&self) -> bool {
        self.words.iter().flatten().any(|g| g.bounds.is_some())
    }
}

/// Ink bounds in pixels relative to the pen origin (x = 0 at line start, y = 0 at baseline).
#[derive(Debug, Clone, Copy)]
pub(super) struct Ink {
    pub(super) min_x: f32,
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

    pub(super) fn width(self) -> f32 {
        self.max_x - self.min_x
    }
}

/// Pen state while laying out a line.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Run {
    pen: f32,
    pub(super) ink: Option<Ink>,
}

impl Run {
    fn width(&self) -> f32 {
        self.ink.map_or(0.0, Ink::width)
    }
}

/// One laid-out line: its glyphs and where the pen and ink ended up.
#[derive(Debug, Clone, Default)]
pub(super) struct Line {
    pub(super) glyphs: Vec<GlyphInfo>,
    pub(super) run: Run,
}

/// Lines laid out at one font size.
#[derive(Debug, Clone)]
pub(super) struct TextBlock {
    /// Font size in pixels.
    pub(super) px: f32,
    pub(super) lines: Vec<Line>,
    /// Whether the text was cut and ends with "…".
    pub(super) truncated: bool,
    /// Top of the block relative to the first baseline (negative).
    pub(super) top: f32,
    /// Bottom of the block relative to the first baseline.
    bottom: f32,
}

impl TextBlock {
    /// From the top of the first line to the bottom of the last.
    pub(super) fn height(&self) -> f32 {
        self.bottom - self.top
    }

    /// Ink width of the widest line.
    pub(super) fn width(&self) -> f32 {
        self.lines.iter().map(|l| l.run.width()).fold(0.0, f32::max)
    }

    /// The text of each line.
    pub(super) fn line_strings(&self) -> Vec<String> {
        self.lines
            .iter()
            .map(|l| l.glyphs.iter().map(|g| g.ch).collect())
            .collect()
    }
}

/// Constraints for fitting text into a box.
pub(super) struct FitLimits {
    pub(super) max_w: f32,
    pub(super) max_h: f32,
    pub(super) max_lines: usize,
    pub(super) max_px: f32,
    pub(super) min_px: f32,
}

impl FitLimits {
    /// One line at most `max_w` wide, of any height.
    pub(super) fn single_line(max_w: f32, max_px: f32, min_px: f32) -> FitLimits {
        FitLimits {
            max_w,
            max_h: f32::INFINITY,
            max_lines: 1,
            max_px,
            min_px,
        }
    }
}

/// Whether `block` ends on a line of one word although the text has more words than lines.
fn ends_on_lone_word(text: &Prepared, block: &TextBlock) -> bool {
    let lines = block.lines.len();
    lines >= 2
        && text.words.len() > lines
        && block
            .lines
            .last()
            .is_some_and(|l| !l.glyphs.iter().any(|g| g.ch == ' '))
}

/// A parsed embedded font.
pub(super) struct Face {
    pub(super) font: FontRef<'static>,
}

impl Face {
    /// Parses an embedded font.
    pub(super) fn load(bytes: &'static [u8]) -> Result<Face, BannerError> {
        Ok(Face {
            font: FontRef::try_from_slice(bytes)?,
        })
    }

    /// Whether the font can draw `ch` (it maps to a glyph other than the empty box).
    pub(super) fn has_glyph(&self, ch: char) -> bool {
        self.font.glyph_id(ch).0 != 0
    }

    /// Resolves `ch` against the font.
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
    pub(super) fn prepare(&self, text: &str, max_chars: usize) -> Prepared {
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

    /// Scale factors from font units to pixels at `px`.
    pub(super) fn scale(&self, px: f32) -> PxScaleFactor {
        self.font.as_scaled(PxScale::from(px)).scale_factor()
    }

    /// Distance between the baselines of consecutive lines at `px`.
    pub(super) fn pitch(&self, px: f32) -> f32 {
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
    pub(super) fn fit(&self, text: &Prepared, limits: &FitLimits) -> TextBlock {
        let min_px = limits.min_px.min(limits.max_px).max(1.0);
        if !text.capped {
            for allow_break in [false, true] {
                let mut px = limits.max_px.max(min_px);
                let mut with_orphan = None;
                loop {
                    if let Some(lines) = self.wrap(text, px, limits.max_w, allow_break)
                        && lines.len() <= limits.max_lines
                    {
                        let lines = if allow_break {
                            lines
                        } else {
                            self.balance(text, px, limits.max_w, lines)
                        };
                        let block = self.block(px, lines, false);
                        if block.height() <= limits.max_h {
                            if allow_break || !ends_on_lone_word(text, &block) {
                                return block;
                            }
                            // A smaller size may share the words out; if none does, the
                            // largest size that fitted is still better than a cut.
                            with_orphan.get_or_insert(block);
                        }
                    }
                    if px <= min_px {
                        break;
                    }
                    px = (px - (px * SHRINK_STEP).max(1.0)).max(min_px);
                }
                if let Some(block) = with_orphan {
                    return block;
                }
            }
        }
        self.truncate(text, min_px, limits)
    }

    /// The same number of lines as the greedy `lines`, made as even as possible: the narrowest
    /// width that still needs no more lines (found by bisection), so a headline never ends on a
    /// lone short word when the words can be shared out. A last line of one word is then given
    /// a second word from the line above when that still fits.
    fn balance(&self, text: &Prepared, px: f32, max_w: f32, lines: Vec<Line>) -> Vec<Line> {
        let count = lines.len();
        if count < 2 {
            return lines;
        }
        let mut best = lines;
        let (mut narrow, mut wide) = (0.0_f32, max_w);
        for _ in 0..14 {
            let mid = (narrow + wide) / 2.0;
            match self.wrap(text, px, mid, false) {
                Some(found) if found.len() <= count => {
                    best = found;
                    wide = mid;
                }
                _ => narrow = mid,
            }
            if wide - narrow < 1.0 {
                break;
            }
        }
        self.rescue_orphan(text, px, max_w, best)
    }

    /// Moves the last word of the second-to-last line down when the last line holds a single
    /// word and both lines still fit `max_w` and keep a word each.
    fn rescue_orphan(
        &self,
        text: &Prepared,
        px: f32,
        max_w: f32,
        mut lines: Vec<Line>,
    ) -> Vec<Line> {
        let words_of = |line: &Line| line.glyphs.split(|g| g.ch == ' ').count();
        let n = lines.len();
        if n < 2 || words_of(&lines[n - 1]) != 1 || words_of(&lines[n - 2]) < 2 {
            return lines;
        }
        let sf = self.scale(px);
        let above = &lines[n - 2].glyphs;
        let Some(cut) = above.iter().rposition(|g| g.ch == ' ') else {
            return lines;
        };
        let kept: Vec<GlyphInfo> = above[..cut].to_vec();
        let mut moved: Vec<GlyphInfo> = above[cut + 1..].to_vec();
        moved.push(text.space);
        moved.extend_from_slice(&lines[n - 1].glyphs);
        let kept_run = self.advance(sf, Run::default(), &kept);
        let moved_run = self.advance(sf, Run::default(), &moved);
        if moved_run.width() <= max_w {
            lines[n - 2] = Line {
                glyphs: kept,
                run: kept_run,
            };
            lines[n - 1] = Line {
                glyphs: moved,
                run: moved_run,
            };
        }
        lines
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
