//! The outline builder: a first, deterministic builder that turns a campaign into the structured
//! skeleton of each asset in its plan (what each asset must contain, filled with the campaign's
//! own objective, name and channels). It is clearly labelled as an outline in each asset's
//! metadata; the copywriting generators replace it.

use ame_domain::{AssetType, Campaign, CampaignType, Channel, NewAsset};
use serde_json::{Value, json};

/// The builder name recorded in each outline asset's metadata.
pub const OUTLINE_BUILDER: &str = "outline";

/// Builds one outline asset per asset type the campaign's type calls for, in plan order.
pub fn build_outline_assets(campaign: &Campaign) -> Vec<NewAsset> {
    campaign
        .campaign_type
        .asset_types()
        .iter()
        .map(|&asset_type| NewAsset {
            asset_type,
            content: outline(asset_type, campaign),
            metadata: json!({
                "builder": OUTLINE_BUILDER,
                "builder_version": 1,
                "campaign_type": campaign.campaign_type.as_str(),
                "outline": true,
            }),
        })
        .collect()
}

/// The campaign's display title: its name, or its objective.
fn title(campaign: &Campaign) -> &str {
    campaign.plan.name.as_deref().unwrap_or(&campaign.objective)
}

/// The action the campaign asks its audience to take.
fn call_to_action(campaign_type: CampaignType) -> &'static str {
    match campaign_type {
        CampaignType::LeadGen => "Get the guide",
        CampaignType::BrandAwareness => "Learn more",
        CampaignType::ClientRetention => "See what's new",
        CampaignType::ReEngagement => "Come back and see",
        CampaignType::Upsell => "Upgrade now",
        CampaignType::Referral => "Invite a friend",
    }
}

fn social_channels(campaign: &Campaign) -> Vec<&'static str> {
    let social = [
        Channel::Linkedin,
        Channel::X,
        Channel::Facebook,
        Channel::Instagram,
    ];
    let chosen: Vec<&'static str> = campaign
        .plan
        .channels
        .iter()
        .filter(|c| social.contains(c))
        .map(|c| c.as_str())
        .collect();
    if chosen.is_empty() {
        social.iter().map(|c| c.as_str()).collect()
    } else {
        chosen
    }
}

fn outline(asset_type: AssetType, campaign: &Campaign) -> Value {
    let title = title(campaign);
    let objective = campaign.objective.as_str();
    let cta = call_to_action(campaign.campaign_type);
    match asset_type {
        AssetType::LandingPage => json!({
            "title": title,
            "sections": [
                {"kind": "hero", "headline": title, "subheadline": objective, "cta": cta},
                {"kind": "benefits", "items": []},
                {"kind": "social_proof", "items": []},
                {"kind": "faq", "items": []},
                {"kind": "form", "fields": ["name", "email"], "submit": cta},
            ],
        }),
        AssetType::EmailSequence => {
            let steps: &[(u32, &str)] = match campaign.campaign_type {
                CampaignType::LeadGen => {
                    &[(0, "welcome"), (2, "value"), (5, "proof"), (9, "offer")]
                }
                CampaignType::ClientRetention => &[(0, "check_in"), (14, "tips"), (30, "review")],
                CampaignType::ReEngagement => {
                    &[(0, "we_miss_you"), (4, "whats_new"), (10, "last_call")]
                }
                _ => &[(0, "introduction"), (3, "follow_up"), (7, "reminder")],
            };
            json!({
                "title": title,
                "emails": steps.iter().map(|(day, purpose)| json!({
                    "day_offset": day,
                    "purpose": purpose,
                    "subject": title,
                    "body_outline": objective,
                    "cta": cta,
                })).collect::<Vec<_>>(),
            })
        }
        AssetType::SocialPost => json!({
            "posts": social_channels(campaign).into_iter().map(|platform| json!({
                "platform": platform,
                "text": objective,
                "cta": cta,
            })).collect::<Vec<_>>(),
        }),
        AssetType::VideoScript => json!({
            "duration_seconds": 30,
            "scenes": [
                {"start_second": 0, "end_second": 5, "purpose": "hook", "voice_over": title},
                {"start_second": 5, "end_second": 22, "purpose": "message", "voice_over": objective},
                {"start_second": 22, "end_second": 30, "purpose": "call_to_action", "voice_over": cta},
            ],
        }),
        AssetType::AdCreative => json!({
            "headline": title,
            "description": objective,
            "cta": cta,
        }),
        AssetType::VoiceAd => json!({
            "duration_seconds": 30,
            "script": format!("{title}. {objective}. {cta}."),
        }),
        AssetType::ImageAsset => json!({
            "headline": title,
            "cta": cta,
            "sizes": ["1200x628", "1080x1080", "1600x900", "728x90"],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ame_domain::{CampaignId, CampaignPlan, CampaignStatus, OrgId};
    use chrono::Utc;

    fn campaign(campaign_type: CampaignType) -> Campaign {
        Campaign {
            id: CampaignId::new(),
            org_id: OrgId::new(),
            campaign_type,
            objective: "Book 40 demos with <b>finance</b> teams by March".to_owned(),
            status: CampaignStatus::Draft,
            performance: json!({}),
            plan: CampaignPlan {
                channels: vec![Channel::Linkedin],
                ..CampaignPlan::default()
            },
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn every_campaign_type_gets_its_planned_asset_set() {
        for &campaign_type in CampaignType::ALL {
            let assets = build_outline_assets(&campaign(campaign_type));
            let types: Vec<AssetType> = assets.iter().map(|a| a.asset_type).collect();
            assert_eq!(types, campaign_type.asset_types());
            for asset in assets {
                assert!(asset.content.is_object() && asset.metadata.is_object());
                assert_eq!(asset.metadata["builder"], OUTLINE_BUILDER);
            }
        }
    }

    #[test]
    fn outlines_carry_the_campaign_and_its_channels() {
        let assets = build_outline_assets(&campaign(CampaignType::Referral));
        let social = assets
            .iter()
            .find(|a| a.asset_type == AssetType::SocialPost)
            .unwrap();
        assert_eq!(social.content["posts"].as_array().unwrap().len(), 1);
        assert_eq!(social.content["posts"][0]["platform"], "linkedin");
        let emails = assets
            .iter()
            .find(|a| a.asset_type == AssetType::EmailSequence)
            .unwrap();
        assert_eq!(emails.content["emails"].as_array().unwrap().len(), 3);
        assert!(emails.content.to_string().contains("finance"));
        let lead_gen = build_outline_assets(&campaign(CampaignType::LeadGen));
        assert_eq!(lead_gen[1].content["emails"].as_array().unwrap().len(), 4);
    }
}
