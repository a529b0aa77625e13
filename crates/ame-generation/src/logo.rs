//! Brand logos: an uploaded PNG or SVG checked, rasterized and normalised into one small PNG
//! that banners draw and landing pages embed.
//!
//! Normalising keeps nothing of the upload but its pixels: a PNG is decoded and re-encoded
//! (ancillary chunks, text and colour profiles dropped), an SVG is rendered by `resvg` (scripts,
//! external references and fonts are never loaded), so what is stored and served is always a
//! plain PNG of at most [`MAX_LOGO_SIDE`] pixels a side.

use base64::Engine as _;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::{ExtendedColorType, ImageEncoder, RgbaImage};

/// Largest upload accepted, in bytes.
pub const MAX_LOGO_BYTES: usize = 1024 * 1024;
/// Longest side of the stored logo, in pixels; larger logos are scaled down.
pub const MAX_LOGO_SIDE: u32 = 512;
/// Shortest side an uploaded logo may have, in pixels, to stay sharp on a banner.
pub const MIN_LOGO_SIDE: u32 = 16;
/// Media types a logo may be uploaded as.
pub const LOGO_MEDIA_TYPES: [&str; 2] = ["image/png", "image/svg+xml"];

/// Why an upload is not a usable logo.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    /// The media type is not one of [`LOGO_MEDIA_TYPES`].
    #[error("a logo must be image/png or image/svg+xml, not `{0}`")]
    MediaType(String),
    /// The upload is empty or larger than [`MAX_LOGO_BYTES`].
    #[error("a logo must be between 1 byte and {MAX_LOGO_BYTES} bytes; this one has {0}")]
    Size(usize),
    /// The bytes are not a readable image of the declared type.
    #[error("the logo is not a readable {kind}: {reason}")]
    Unreadable {
        /// `PNG` or `SVG`.
        kind: &'static str,
        /// What the decoder said.
        reason: String,
    },
    /// The image is too small to be drawn sharply.
    #[error(
        "a logo must be at least {MIN_LOGO_SIDE}×{MIN_LOGO_SIDE} pixels; this one is {width}×{height}"
    )]
    TooSmall {
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
    },
    /// Every pixel is transparent.
    #[error("the logo has no visible pixels")]
    Invisible,
}

/// The media type without parameters, lower-case (`Image/SVG+XML; charset=utf-8` →
/// `image/svg+xml`).
pub fn media_type_essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// A normalised logo: the PNG to store and serve, and its pixels for drawing.
#[derive(Clone, PartialEq)]
pub struct Logo {
    /// The normalised PNG (8-bit RGBA).
    pub png: Vec<u8>,
    /// The decoded pixels.
    pub pixels: RgbaImage,
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logo")
            .field("png_len", &self.png.len())
            .field("width", &self.pixels.width())
            .field("height", &self.pixels.height())
            .finish()
    }
}

impl Logo {
    /// Checks and normalises an upload of `media_type` (parameters such as `; charset=` are
    /// ignored).
    pub fn from_upload(media_type: &str, bytes: &[u8]) -> Result<Logo, LogoError> {
        let essence = media_type_essence(media_type);
        if bytes.is_empty() || bytes.len() > MAX_LOGO_BYTES {
            return Err(LogoError::Size(bytes.len()));
        }
        let pixels = match essence.as_str() {
            "image/png" => decode_png(bytes)?,
            "image/svg+xml" => render_svg(bytes)?,
            _ => return Err(LogoError::MediaType(media_type.to_owned())),
        };
        let (width, height) = pixels.dimensions();
        if width.min(height) < MIN_LOGO_SIDE {
            return Err(LogoError::TooSmall { width, height });
        }
        let pixels = fit_within(pixels, MAX_LOGO_SIDE);
        if !pixels.pixels().any(|p| p.0[3] > 0) {
            return Err(LogoError::Invisible);
        }
        Logo::from_pixels(pixels)
    }

    /// A logo already normalised by [`Logo::from_upload`] (as read back from storage).
    pub fn from_stored_png(png: &[u8]) -> Result<Logo, LogoError> {
        Logo::from_pixels(decode_png(png)?)
    }

    fn from_pixels(pixels: RgbaImage) -> Result<Logo, LogoError> {
        let mut png = Vec::new();
        PngEncoder::new_with_quality(&mut png, CompressionType::Best, PngFilter::Adaptive)
            .write_image(
                pixels.as_raw(),
                pixels.width(),
                pixels.height(),
                ExtendedColorType::Rgba8,
            )
            .map_err(|e| LogoError::Unreadable {
                kind: "PNG",
                reason: e.to_string(),
            })?;
        Ok(Logo { png, pixels })
    }

    /// The logo as a `data:` URI, for embedding in a self-contained page.
    pub fn data_uri(&self) -> String {
        format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&self.png)
        )
    }

    /// Width and height in pixels.
    pub fn dimensions(&self) -> (u32, u32) {
        self.pixels.dimensions()
    }
}

fn decode_png(bytes: &[u8]) -> Result<RgbaImage, LogoError> {
    let unreadable = |e: image::ImageError| LogoError::Unreadable {
        kind: "PNG",
        reason: e.to_string(),
    };
    let mut reader =
        image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Png);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(8192);
    limits.max_image_height = Some(8192);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    Ok(reader.decode().map_err(unreadable)?.to_rgba8())
}

/// Renders an SVG at its own size, scaled so its longest side is [`MAX_LOGO_SIDE`].
fn render_svg(bytes: &[u8]) -> Result<RgbaImage, LogoError> {
    let unreadable = |reason: String| LogoError::Unreadable {
        kind: "SVG",
        reason,
    };
    // Nothing outside the upload is ever read: no files, no URLs (an `<image href>` naming a
    // path on this server must not pull another organization's files into a logo).
    let options = resvg::usvg::Options {
        resources_dir: None,
        image_href_resolver: resvg::usvg::ImageHrefResolver {
            resolve_data: resvg::usvg::ImageHrefResolver::default_data_resolver(),
            resolve_string: Box::new(|_, _| None),
        },
        ..resvg::usvg::Options::default()
    };
    let tree =
        resvg::usvg::Tree::from_data(bytes, &options).map_err(|e| unreadable(e.to_string()))?;
    let size = tree.size();
    let scale = MAX_LOGO_SIDE as f32 / size.width().max(size.height());
    let (width, height) = (
        (size.width() * scale).round().max(1.0) as u32,
        (size.height() * scale).round().max(1.0) as u32,
    );
    let mut pixmap = resvg::tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| unreadable(format!("cannot draw it at {width}×{height}")))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let mut pixels = RgbaImage::new(width, height);
    for (out, premultiplied) in pixels.pixels_mut().zip(pixmap.pixels()) {
        let c = premultiplied.demultiply();
        *out = image::Rgba([c.red(), c.green(), c.blue(), c.alpha()]);
    }
    Ok(pixels)
}

/// `pixels` scaled down so neither side exceeds `max_side` (unchanged when already small).
fn fit_within(pixels: RgbaImage, max_side: u32) -> RgbaImage {
    let (w, h) = pixels.dimensions();
    if w.max(h) <= max_side {
        return pixels;
    }
    let scale = max_side as f32 / w.max(h) as f32;
    let (nw, nh) = (
        ((w as f32 * scale).round() as u32).max(1),
        ((h as f32 * scale).round() as u32).max(1),
    );
    image::imageops::resize(&pixels, nw, nh, FilterType::Lanczos3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_of(width: u32, height: u32, pixel: [u8; 4]) -> Vec<u8> {
        let img = RgbaImage::from_pixel(width, height, image::Rgba(pixel));
        let mut png = Vec::new();
        PngEncoder::new(&mut png)
            .write_image(img.as_raw(), width, height, ExtendedColorType::Rgba8)
            .unwrap();
        png
    }

    const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50" viewBox="0 0 200 50"><script>alert(1)</script><rect x="0" y="0" width="200" height="50" rx="8" fill="#0a7f5a"/><circle cx="25" cy="25" r="15" fill="#ffffff"/><image href="https://example.com/x.png" width="10" height="10"/></svg>"##;

    #[test]
    fn an_svg_is_rendered_to_a_png_of_its_proportions_without_its_script() {
        let logo = Logo::from_upload("image/svg+xml", SVG.as_bytes()).unwrap();
        assert_eq!(logo.dimensions(), (512, 128));
        assert_eq!(&logo.png[1..4], b"PNG");
        let green = logo.pixels.get_pixel(200, 64).0;
        assert_eq!(green, [0x0a, 0x7f, 0x5a, 255]);
        let white = logo.pixels.get_pixel(64, 64).0;
        assert_eq!(white, [255, 255, 255, 255]);
        let again = Logo::from_stored_png(&logo.png).unwrap();
        assert_eq!(again.pixels, logo.pixels);
    }

    #[test]
    fn a_large_png_is_scaled_down_and_re_encoded() {
        let logo = Logo::from_upload("image/png", &png_of(1600, 400, [10, 20, 30, 255])).unwrap();
        assert_eq!(logo.dimensions(), (512, 128));
        assert_eq!(logo.pixels.get_pixel(10, 10).0, [10, 20, 30, 255]);
        assert!(logo.data_uri().starts_with("data:image/png;base64,iVBOR"));
    }

    #[test]
    fn unusable_uploads_say_what_is_wrong() {
        assert_eq!(
            Logo::from_upload("image/jpeg", b"\xff\xd8\xff").unwrap_err(),
            LogoError::MediaType("image/jpeg".into())
        );
        assert_eq!(
            Logo::from_upload("image/png", b"").unwrap_err(),
            LogoError::Size(0)
        );
        assert_eq!(
            Logo::from_upload("image/png", &vec![0u8; MAX_LOGO_BYTES + 1]).unwrap_err(),
            LogoError::Size(MAX_LOGO_BYTES + 1)
        );
        assert!(matches!(
            Logo::from_upload("image/png", b"not a png at all").unwrap_err(),
            LogoError::Unreadable { kind: "PNG", .. }
        ));
        assert!(matches!(
            Logo::from_upload("image/svg+xml", b"<svg").unwrap_err(),
            LogoError::Unreadable { kind: "SVG", .. }
        ));
        assert_eq!(
            Logo::from_upload("image/png", &png_of(300, 8, [0, 0, 0, 255])).unwrap_err(),
            LogoError::TooSmall {
                width: 300,
                height: 8
            }
        );
        assert_eq!(
            Logo::from_upload("image/png", &png_of(64, 64, [0, 0, 0, 0])).unwrap_err(),
            LogoError::Invisible
        );
    }

    #[test]
    fn media_type_parameters_and_case_are_ignored() {
        let logo = Logo::from_upload("Image/SVG+XML; charset=utf-8", SVG.as_bytes()).unwrap();
        assert_eq!(logo.dimensions().0, 512);
    }
}
