//! The organization's brand profile, used by every generated asset.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use ame_domain::{BrandProfile, BrandProfileInput};

impl Engine {
    /// The organization's brand profile; `BrandNotSet` until one is saved.
    pub async fn brand(&self, caller: &Caller) -> AppResult<BrandProfile> {
        self.repos(caller)
            .brands
            .get(caller.org)
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
        Ok(self.repos(caller).brands.put(caller.org, brand).await?)
    }
}
