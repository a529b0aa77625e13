//! The organization's brand profile, used by every generated asset.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use crate::retry::read_twice;
use ame_domain::{BrandLogo, BrandProfile, BrandProfileInput};

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

impl Engine {
    /// Checks, normalises (PNG re-encoded, SVG rendered) and stores the brand's logo, replacing
    /// any earlier one: the file goes to blob storage before the profile refers to it. Needs a
    /// saved profile (`BrandNotSet`); an unusable upload is a validation error on `logo`.
    pub async fn upload_logo(
        &self,
        caller: &Caller,
        media_type: &str,
        bytes: &[u8],
    ) -> AppResult<BrandProfile> {
        use sha2::Digest;
        caller.require_write()?;
        let logo = ame_generation::Logo::from_upload(media_type, bytes).map_err(|e| {
            AppError::Validation(vec![ame_domain::FieldError::new("logo", e.to_string())])
        })?;
        let sha256 = format!("{:x}", sha2::Sha256::digest(&logo.png));
        let key = ame_storage::blob_key(&caller.org.to_string(), &sha256);
        let (width, height) = logo.dimensions();
        let stored = BrandLogo {
            key: key.clone(),
            sha256,
            media_type: "image/png".into(),
            size: logo.png.len() as u64,
            width,
            height,
            uploaded_as: ame_generation::logo::media_type_essence(media_type),
            uploaded_at: self.now(),
        };
        self.blobs().put(&key, bytes::Bytes::from(logo.png)).await?;
        let saved = self
            .repos(caller)
            .brands
            .set_logo(caller.org, Some(stored))
            .await?
            .ok_or(AppError::BrandNotSet)?;
        self.audit(
            caller,
            crate::audit::Happened {
                action: "brand.logo_set",
                target_kind: "brand",
                target_id: Some(caller.org.as_uuid()),
                details: serde_json::json!({"width": width, "height": height}),
            },
        )
        .await;
        Ok(saved)
    }

    /// Removes the brand's logo (the file itself goes with the next blob sweep).
    pub async fn remove_logo(&self, caller: &Caller) -> AppResult<BrandProfile> {
        caller.require_write()?;
        let saved = self
            .repos(caller)
            .brands
            .set_logo(caller.org, None)
            .await?
            .ok_or(AppError::BrandNotSet)?;
        self.audit(
            caller,
            crate::audit::Happened {
                action: "brand.logo_removed",
                target_kind: "brand",
                target_id: Some(caller.org.as_uuid()),
                details: serde_json::json!({}),
            },
        )
        .await;
        Ok(saved)
    }

    /// The brand's logo PNG; `FileMissing` when none is uploaded.
    pub async fn brand_logo(&self, caller: &Caller) -> AppResult<crate::assets::OpenedFile> {
        let logo = self
            .brand(caller)
            .await?
            .logo
            .ok_or(AppError::FileMissing)?;
        self.open_blob(&logo.key, &logo.media_type).await
    }

    /// The brand's logo ready to draw, for generation; `None` without one or when its file
    /// cannot be read (generation then goes on without it, and says so in the log).
    pub(crate) async fn logo_for_generation(
        &self,
        logo: Option<&BrandLogo>,
    ) -> Option<std::sync::Arc<ame_generation::Logo>> {
        use futures::TryStreamExt;
        let logo = logo?;
        let read = async {
            let (_, stream) = self.blobs().open(&logo.key).await.ok()??;
            let chunks: Vec<bytes::Bytes> = stream.try_collect().await.ok()?;
            ame_generation::Logo::from_stored_png(&chunks.concat()).ok()
        };
        let found = read.await;
        if found.is_none() {
            tracing::warn!(key = %logo.key, "brand logo unreadable; generating without it");
        }
        found.map(std::sync::Arc::new)
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

    const MARK: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#123456"/></svg>"##;

    #[tokio::test]
    async fn an_uploaded_logo_is_stored_as_png_before_the_profile_names_it() {
        let mut mocks = Mocks::default();
        let blobs = std::sync::Arc::new(FakeBlobs::default());
        let seen = blobs.clone();
        mocks.brands.expect_set_logo().returning(move |org, logo| {
            let logo = logo.unwrap();
            assert!(seen.contains(&logo.key), "the file is written first");
            assert_eq!((logo.width, logo.height), (512, 512));
            assert_eq!(logo.uploaded_as, "image/svg+xml");
            assert_eq!(logo.key, format!("{org}/{}", logo.sha256));
            Ok(Some(ame_domain::BrandProfile {
                org_id: org,
                brand: ame_domain::Brand::placeholder(),
                created_at: Utc::now(),
                updated_at: Utc::now(),
                logo: Some(logo),
            }))
        });
        mocks.audit.expect_record().returning(|_, _| Ok(()));
        let engine = mocks.engine().with_blobs(blobs);
        let saved = engine
            .upload_logo(
                &caller(MemberRole::Member),
                "image/svg+xml",
                MARK.as_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(saved.logo.unwrap().media_type, "image/png");
    }

    #[tokio::test]
    async fn an_unusable_logo_is_a_field_error_and_nothing_is_stored() {
        let engine = Mocks::default().engine();
        let error = engine
            .upload_logo(&caller(MemberRole::Member), "image/gif", b"GIF89a")
            .await
            .unwrap_err();
        let AppError::Validation(errors) = error else {
            panic!("{error:?}")
        };
        assert_eq!(errors[0].field, "logo");
        assert!(errors[0].message.contains("image/png or image/svg+xml"));
    }

    #[tokio::test]
    async fn viewers_cannot_change_the_logo() {
        let engine = Mocks::default().engine();
        let error = engine
            .upload_logo(
                &caller(MemberRole::Viewer),
                "image/svg+xml",
                MARK.as_bytes(),
            )
            .await
            .unwrap_err();
        assert!(matches!(error, AppError::Forbidden(_)), "{error:?}");
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
