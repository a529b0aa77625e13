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
