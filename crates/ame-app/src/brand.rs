//! The organization's brand profile, used by every generated asset.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use crate::retry::read_twice;
use ame_domain::{BrandProfile, BrandProfileInput};

impl Engine {
    /// The organization's brand profile; `BrandNotSet` until one is saved.
    pub async fn brand(&self, caller: &Caller) -> AppResult<BrandProfile> {
        let brands = self.repos(caller).brands;
        read_twice(|| brands.get(caller.org))
            .await?
            .ok_or(AppError::BrandNotSet)
    }

    /// Checks and saves (creates or replaces) the organization's brand profile.
    pub async fn save_brand(
        &self,
        caller: &Caller,
        input: BrandProfileInput,
    ) -> AppResult<BrandProfile> {
        caller.require_write()?;
        let brand = input.validate()?;
        let saved = self.repos(caller).brands.put(caller.org, brand).await?;
        self.audit(
            caller,
            crate::audit::Happened {
                action: "brand.saved",
                target_kind: "brand",
                target_id: Some(caller.org.as_uuid()),
                details: serde_json::json!({"company_name": saved.brand.company_name}),
            },
        )
        .await;
        Ok(saved)
    }
}

#[cfg(test)]
mod tests {
    use crate::fakes::*;

    #[tokio::test]
    async fn a_missing_brand_is_reported_as_not_set() {
        let mut mocks = Mocks::default();
        mocks.brands.expect_get().returning(|_| Ok(None));
        let error = mocks
            .engine()
            .brand(&caller(MemberRole::Viewer))
            .await
            .unwrap_err();
        assert_eq!(error, AppError::BrandNotSet);
    }
}

/// What the brand editor's live banner preview shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BannerPreview {
    /// The brand name drawn small.
    pub company_name: String,
    /// The main message (the first value proposition).
    pub headline: String,
    /// The button label.
    pub cta_text: String,
    /// Background colour, `#rrggbb`.
    pub primary_color: String,
    /// Button colour, `#rrggbb`.
    pub accent_color: String,
}

/// The 1200×628 banner a brand's settings give, as PNG, for the editor's preview. Colours that
/// are not `#rrggbb` yet (while being typed) fall back to neutral ones; blank text to a sample.
pub fn banner_preview_png(preview: &BannerPreview) -> AppResult<Vec<u8>> {
    use ame_generation::banner::{BannerSize, BannerSpec, render_banner};
    use ame_generation::colour::Rgb;
    let or = |text: &str, fallback: &str| {
        let text = text.trim();
        if text.is_empty() {
            fallback.to_owned()
        } else {
            text.chars().take(120).collect()
        }
    };
    let size = BannerSize::by_name("link")
        .ok_or_else(|| AppError::internal("the standard banner sizes lack `link`"))?;
    let headline = or(&preview.headline, "Your first value proposition");
    let cta = or(&preview.cta_text, "Learn more");
    let brand = or(&preview.company_name, "Your brand");
    let rendered = render_banner(&BannerSpec {
        size,
        headline: &headline,
        subline: None,
        cta: &cta,
        brand_name: &brand,
        background: Rgb::from_hex(preview.primary_color.trim()).unwrap_or(Rgb(0x1f, 0x4e, 0x79)),
        accent: Rgb::from_hex(preview.accent_color.trim()).unwrap_or(Rgb(0xf2, 0xa9, 0x00)),
        logo: None,
    })
    .map_err(AppError::internal)?;
    Ok(rendered.png)
}

#[cfg(test)]
mod preview_tests {
    use super::*;

    #[test]
    fn a_preview_is_a_png_even_while_colours_are_half_typed() {
        let png = banner_preview_png(&BannerPreview {
            company_name: "Brightside Dental".into(),
            headline: "See a dentist within 48 hours".into(),
            cta_text: "Book now".into(),
            primary_color: "#12".into(),
            accent_color: "#ffcc00".into(),
        })
        .unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}
