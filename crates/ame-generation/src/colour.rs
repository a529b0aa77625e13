//! Colours and WCAG contrast, shared by the HTML renderings and the PNG banners.
//!
//! Text is black or white, whichever contrasts more with the colour behind it. If that is still
//! below the required ratio, [`readable_on`] moves the background towards the opposite end until
//! it passes.

use serde::Serialize;

/// Minimum WCAG contrast ratio between any text and the colour behind it (WCAG AA).
pub const MIN_TEXT_CONTRAST: f64 = 4.5;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Pure black.
    pub const BLACK: Rgb = Rgb(0, 0, 0);
    /// Pure white.
    pub const WHITE: Rgb = Rgb(255, 255, 255);

    /// Parses `#rrggbb` or `#rgb` (case-insensitive; the `#` is optional).
    pub fn from_hex(s: &str) -> Option<Rgb> {
        let hex = s.strip_prefix('#').unwrap_or(s);
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let digit = |i: usize| u8::from_str_radix(hex.get(i..=i)?, 16).ok();
        match hex.len() {
            3 => Some(Rgb(digit(0)? * 17, digit(1)? * 17, digit(2)? * 17)),
            6 => {
                let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
                Some(Rgb(byte(0)?, byte(2)?, byte(4)?))
            }
            _ => None,
        }
    }

    /// Formats as lowercase `#rrggbb`.
    pub fn to_hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// WCAG relative luminance (0.0 for black ..= 1.0 for white).
    pub fn relative_luminance(self) -> f64 {
        fn linear(c: u8) -> f64 {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        }
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }

    /// Linear interpolation in sRGB space: `t = 0` is `self`, `t = 1` is `other`.
    fn mix(self, other: Rgb, t: f64) -> Rgb {
        let lerp = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
        Rgb(
            lerp(self.0, other.0),
            lerp(self.1, other.1),
            lerp(self.2, other.2),
        )
    }
}

/// WCAG 2.x contrast ratio between two colours (1.0..=21.0).
pub fn contrast_ratio(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.relative_luminance(), b.relative_luminance());
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// Picks black or white text for `surface`; if neither reaches `min_contrast`, moves the surface
/// towards the opposite end until it does. Returns `(surface, text, contrast)`.
pub fn readable_on(surface: Rgb, min_contrast: f64) -> (Rgb, Rgb, f64) {
    let on_black = contrast_ratio(surface, Rgb::BLACK);
    let on_white = contrast_ratio(surface, Rgb::WHITE);
    let (text, towards, best) = if on_black >= on_white {
        (Rgb::BLACK, Rgb::WHITE, on_black)
    } else {
        (Rgb::WHITE, Rgb::BLACK, on_white)
    };
    if best >= min_contrast {
        return (surface, text, best);
    }
    const STEPS: u32 = 50;
    for step in 1..=STEPS {
        let candidate = surface.mix(towards, f64::from(step) / f64::from(STEPS));
        let contrast = contrast_ratio(candidate, text);
        if contrast >= min_contrast {
            return (candidate, text, contrast);
        }
    }
    (towards, text, contrast_ratio(towards, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAVY: Rgb = Rgb(0x1a, 0x2b, 0x3c);
    const ORANGE: Rgb = Rgb(0xff, 0x66, 0x00);

    #[test]
    fn readable_on_adjusts_surface_only_when_needed() {
        let grey = Rgb(0x77, 0x77, 0x77);
        let (surface, text, contrast) = readable_on(grey, MIN_TEXT_CONTRAST);
        assert_eq!((surface, text), (grey, Rgb::BLACK));
        assert!(contrast >= MIN_TEXT_CONTRAST);

        let (surface, text, contrast) = readable_on(grey, 7.0);
        assert_ne!(surface, grey);
        assert_eq!(text, Rgb::BLACK);
        assert!(surface.relative_luminance() > grey.relative_luminance());
        assert!((7.0..8.0).contains(&contrast), "{contrast}");
        assert!((contrast_ratio(surface, text) - contrast).abs() < 1e-9);

        let blue = Rgb(0x33, 0x44, 0xaa);
        let (surface, text, contrast) = readable_on(blue, 12.0);
        assert_eq!(text, Rgb::WHITE);
        assert!(surface.relative_luminance() < blue.relative_luminance());
        assert!(contrast >= 12.0);

        let (surface, _, contrast) = readable_on(grey, 22.0);
        assert_eq!(surface, Rgb::WHITE);
        assert!((contrast - 21.0).abs() < 1e-9);
    }

    #[test]
    fn contrast_ratio_known_values() {
        assert!((contrast_ratio(Rgb::BLACK, Rgb::WHITE) - 21.0).abs() < 1e-9);
        assert!((contrast_ratio(Rgb::WHITE, Rgb::BLACK) - 21.0).abs() < 1e-9);
        assert!((contrast_ratio(ORANGE, ORANGE) - 1.0).abs() < 1e-12);
        let grey = Rgb(0x77, 0x77, 0x77);
        assert!((contrast_ratio(grey, Rgb::WHITE) - 4.48).abs() < 0.01);
        assert!((contrast_ratio(Rgb(0x76, 0x76, 0x76), Rgb::WHITE) - 4.54).abs() < 0.01);
        let c = contrast_ratio(NAVY, ORANGE);
        assert!((1.0..=21.0).contains(&c));
    }

    #[test]
    fn from_hex_accepts_valid_and_rejects_invalid() {
        assert_eq!(Rgb::from_hex("#1a2b3c"), Some(Rgb(0x1a, 0x2b, 0x3c)));
        assert_eq!(Rgb::from_hex("#1A2B3C"), Some(Rgb(0x1a, 0x2b, 0x3c)));
        assert_eq!(Rgb::from_hex("#abc"), Some(Rgb(0xaa, 0xbb, 0xcc)));
        assert_eq!(Rgb::from_hex("fff"), Some(Rgb::WHITE));
        assert_eq!(Rgb::from_hex("#000000"), Some(Rgb::BLACK));
        for bad in [
            "", "#", "#12", "#1234", "#12345", "#1234567", "#gggggg", "##abc", " #abc", "#+1+2+3",
            "#ab c", "#ÿÿÿ",
        ] {
            assert_eq!(Rgb::from_hex(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn to_hex_round_trips() {
        for c in [Rgb::BLACK, Rgb::WHITE, NAVY, ORANGE, Rgb(1, 2, 254)] {
            assert_eq!(Rgb::from_hex(&c.to_hex()), Some(c));
        }
        assert_eq!(NAVY.to_hex(), "#1a2b3c");
    }
}
