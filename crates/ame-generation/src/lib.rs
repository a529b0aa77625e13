//! AME asset generation.
//!
//! Content builders and renderers live here. It depends only on the domain crate,
//! so generation can be tested without a database or web server.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod banner;
pub mod brief;
pub mod builtin;
pub mod colour;
pub mod confirmation;
mod content;
pub mod copy;
pub mod corpus;
pub mod email_plan;
pub mod grammar;
pub mod html;
pub mod limits;
pub mod lint;
pub mod logo;
pub mod mend;
pub mod openai;
pub mod pipeline;
pub mod playbook;
pub mod readability;
pub mod samples;
pub mod speech;
pub mod text_model;

use ame_domain::{AssetType, CampaignType};

pub use brief::Brief;
pub use logo::{Logo, LogoError};
pub use pipeline::{GeneratedAsset, Generator, Rendition};
pub use text_model::{BuiltInModel, RemoteModel, TextModel};

/// The asset types to generate for a campaign type, in generation order.
pub fn planned_assets(campaign_type: CampaignType) -> &'static [AssetType] {
    campaign_type.asset_types()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_follow_the_domain_mapping() {
        assert_eq!(
            planned_assets(CampaignType::ClientRetention),
            &[AssetType::EmailSequence, AssetType::VoiceAd]
        );
    }
}
