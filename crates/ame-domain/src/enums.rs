//! Closed vocabularies: campaign types, asset types, channels and member roles.
//!
//! Every enum is written and parsed as its snake_case name; unknown names are rejected
//! with an error that lists the allowed ones.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::str::FromStr;

/// An unknown name for one of the domain's closed vocabularies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`; allowed: {}", .allowed.join(", "))]
pub struct ParseEnumError {
    /// What was being parsed, e.g. `campaign_type`.
    pub kind: &'static str,
    /// The rejected input.
    pub value: String,
    /// Every accepted name.
    pub allowed: &'static [&'static str],
}

/// Defines a snake_case string enum with `ALL`, `as_str`, `FromStr`, `Display` and serde support.
macro_rules! string_enum {
    (
        $(#[$doc:meta])*
        $name:ident, $kind:literal {
            $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every value's name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The snake_case name stored in the database and used on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseEnumError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(ParseEnumError {
                        kind: $kind,
                        value: other.to_owned(),
                        allowed: Self::NAMES,
                    }),
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use string_enum;

string_enum! {
    /// What a campaign sets out to do; decides which assets it needs.
    CampaignType, "campaign_type" {
        /// Capture new leads.
        LeadGen => "lead_gen",
        /// Make more people know the brand.
        BrandAwareness => "brand_awareness",
        /// Keep existing clients.
        ClientRetention => "client_retention",
        /// Win back inactive contacts.
        ReEngagement => "re_engagement",
        /// Sell more to existing clients.
        Upsell => "upsell",
        /// Turn clients into referrers.
        Referral => "referral",
    }
}

string_enum! {
    /// A kind of generated marketing asset.
    AssetType, "asset_type" {
        /// A standalone landing page with a lead form.
        LandingPage => "landing_page",
        /// A timed sequence of emails.
        EmailSequence => "email_sequence",
        /// Posts for social platforms.
        SocialPost => "social_post",
        /// A scene-by-scene video script.
        VideoScript => "video_script",
        /// Paid search and social ad copy.
        AdCreative => "ad_creative",
        /// A spoken audio advert.
        VoiceAd => "voice_ad",
        /// Banner images at standard sizes.
        ImageAsset => "image_asset",
    }
}

string_enum! {
    /// A channel a campaign runs on or reports results for.
    Channel, "channel" {
        /// Email.
        Email => "email",
        /// SMS / text messages.
        Sms => "sms",
        /// LinkedIn.
        Linkedin => "linkedin",
        /// X (formerly Twitter).
        X => "x",
        /// Facebook.
        Facebook => "facebook",
        /// Instagram.
        Instagram => "instagram",
        /// TikTok.
        Tiktok => "tiktok",
        /// YouTube.
        Youtube => "youtube",
        /// Google search ads.
        GoogleSearch => "google_search",
        /// Google display network.
        GoogleDisplay => "google_display",
        /// Podcast advertising.
        Podcast => "podcast",
        /// Radio advertising.
        Radio => "radio",
        /// The organization's own website and landing pages.
        Web => "web",
        /// Printed mail.
        DirectMail => "direct_mail",
        /// Events and webinars.
        Events => "events",
        /// Word of mouth and referral programmes.
        Referral => "referral",
    }
}

string_enum! {
    /// A user's role within an organization, from most to least privileged.
    MemberRole, "role" {
        /// Owns the organization.
        Owner => "owner",
        /// Manages members, keys and all campaigns.
        Admin => "admin",
        /// Creates and changes campaigns.
        Member => "member",
        /// Reads only.
        Viewer => "viewer",
    }
}

string_enum! {
    /// Whether a contact may be written to, and if not, why.
    Consent, "consent" {
        /// Agreed to receive the organization's messages.
        Subscribed => "subscribed",
        /// Asked to receive no more messages.
        Unsubscribed => "unsubscribed",
        /// Its address refused delivery permanently.
        Bounced => "bounced",
        /// Marked a message as spam.
        Complained => "complained",
    }
}

string_enum! {
    /// Where a job is in the queue.
    JobState, "state" {
        /// Waiting for its `run_at`.
        Queued => "queued",
        /// Held by a worker until its lease runs out.
        Running => "running",
        /// Finished.
        Done => "done",
        /// Failed an attempt; waiting to be retried at its `run_at`.
        Failed => "failed",
        /// Failed its last attempt; waits for someone to retry it.
        Dead => "dead",
        /// Called off before it ran (its campaign ended).
        Cancelled => "cancelled",
    }
}

string_enum! {
    /// Where one message of a sequence to one contact is.
    DeliveryState, "delivery_state" {
        /// Planned, not yet handed to the mail server.
        Pending => "pending",
        /// Being handed over (a crash here may repeat it, under the same Message-ID).
        Sending => "sending",
        /// Accepted by the mail server.
        Sent => "sent",
        /// Refused for good (the address bounced, or every attempt failed).
        Failed => "failed",
        /// Not sent: the contact left the sequence (unsubscribed, bounced, complained, converted).
        Suppressed => "suppressed",
        /// Not sent: the campaign ended first.
        Cancelled => "cancelled",
    }
}

string_enum! {
    /// What a tracking event records.
    TrackingKind, "kind" {
        /// A click on a tracked link.
        Click => "click",
        /// A landing-page view.
        View => "view",
        /// A lead from a landing page.
        Lead => "lead",
        /// A conversion reported by the organization.
        Conversion => "conversion",
        /// A contact unsubscribed through a campaign's link.
        Unsubscribe => "unsubscribe",
        /// A recipient's mail server refused a campaign's message for good.
        Bounce => "bounce",
        /// A recipient reported a campaign's message as spam.
        Complaint => "complaint",
    }
}

string_enum! {
    /// Something that happened to a campaign's email, sent to the connectors that subscribe.
    EmailEvent, "event" {
        /// The mail server accepted a message.
        Sent => "sent",
        /// An email provider reported the message delivered to the recipient's mailbox.
        Delivered => "delivered",
        /// The recipient's mail server refused the message for good.
        Bounced => "bounced",
        /// The recipient reported the message as spam.
        Complained => "complained",
        /// The recipient clicked a tracked link.
        Clicked => "clicked",
        /// The recipient unsubscribed through the message's link.
        Unsubscribed => "unsubscribed",
        /// The organization reported a conversion of the recipient.
        Converted => "converted",
    }
}

impl TrackingKind {
    /// The email event a tracking event is, if connectors can subscribe to it.
    pub fn email_event(self) -> Option<EmailEvent> {
        match self {
            Self::Click => Some(EmailEvent::Clicked),
            Self::Conversion => Some(EmailEvent::Converted),
            Self::Unsubscribe => Some(EmailEvent::Unsubscribed),
            Self::Bounce => Some(EmailEvent::Bounced),
            Self::Complaint => Some(EmailEvent::Complained),
            Self::View | Self::Lead => None,
        }
    }
}

string_enum! {
    /// Which arm of a campaign's holdout test a contact is in.
    Group, "group" {
        /// Receives the campaign.
        Treatment => "treatment",
        /// Held out at random: receives nothing, so the campaign's effect can be measured.
        Control => "control",
    }
}

string_enum! {
    /// What a targeting model predicts.
    Goal, "goal" {
        /// A click on one of the campaign's links.
        Clicks => "clicks",
        /// A conversion.
        Conversions => "conversions",
    }
}

string_enum! {
    /// Whom a campaign sends to among its audience.
    TargetingMode, "mode" {
        /// Everyone in the audience.
        All => "all",
        /// The given share with the highest expected value.
        TopFraction => "top_fraction",
        /// As many contacts as the budget (a number of messages) allows, best first.
        Budget => "budget",
        /// Only contacts the message is predicted to help (positive uplift).
        UpliftPositive => "uplift_positive",
    }
}

string_enum! {
    /// Where a variant test stands.
    ExperimentState, "state" {
        /// Some arm has too few exposures: equal split.
        BurnIn => "burn_in",
        /// Weights follow each arm's probability of being best.
        Optimising => "optimising",
        /// A winner was promoted and takes every exposure.
        Promoted => "promoted",
    }
}

impl CampaignType {
    /// The assets a campaign of this type needs, in generation order (the seed's mapping).
    pub const fn asset_types(self) -> &'static [AssetType] {
        use AssetType::*;
        match self {
            CampaignType::LeadGen => &[LandingPage, EmailSequence, AdCreative],
            CampaignType::BrandAwareness => &[SocialPost, VideoScript, ImageAsset],
            CampaignType::ClientRetention => &[EmailSequence, VoiceAd],
            CampaignType::ReEngagement => &[EmailSequence, SocialPost],
            CampaignType::Upsell => &[EmailSequence, LandingPage],
            CampaignType::Referral => &[EmailSequence, SocialPost, LandingPage],
        }
    }

    /// Whether this type's landing page takes sign-ups with a lead form: a lead generation
    /// page, and a referral's page for the friends referrers invite. An upsell page speaks to
    /// people who already buy, and its buttons lead to the upgrade instead.
    pub const fn page_takes_sign_ups(self) -> bool {
        matches!(
            self,
            CampaignType::LeadGen | CampaignType::BrandAwareness | CampaignType::Referral
        )
    }
}

impl MemberRole {
    /// Whether this role may read campaigns and assets (every role may).
    pub const fn can_read(self) -> bool {
        true
    }

    /// Whether this role may create and change campaigns.
    pub const fn can_write(self) -> bool {
        matches!(
            self,
            MemberRole::Owner | MemberRole::Admin | MemberRole::Member
        )
    }

    /// Whether this role may manage members and API keys.
    pub const fn can_manage(self) -> bool {
        matches!(self, MemberRole::Owner | MemberRole::Admin)
    }

    const fn rank(self) -> u8 {
        match self {
            MemberRole::Viewer => 0,
            MemberRole::Member => 1,
            MemberRole::Admin => 2,
            MemberRole::Owner => 3,
        }
    }

    /// The weaker of this role and `other`.
    pub const fn weaker(self, other: MemberRole) -> MemberRole {
        if self.rank() <= other.rank() {
            self
        } else {
            other
        }
    }

    /// Whether this role may issue, rotate or revoke a key with role `key`: managing keys needs
    /// admin or owner, and only an owner touches owner keys. The one rule every key action
    /// follows; `Err` says why not.
    pub fn may_manage_key(self, key: MemberRole) -> Result<(), String> {
        if !self.can_manage() {
            return Err(format!(
                "a {self} may not manage API keys; this needs admin or owner"
            ));
        }
        if key == MemberRole::Owner && self != MemberRole::Owner {
            return Err("only an owner may issue, rotate or revoke owner keys".to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_equals_the_seed_table() {
        let seed: &[(&str, &[&str])] = &[
            (
                "lead_gen",
                &["landing_page", "email_sequence", "ad_creative"],
            ),
            (
                "brand_awareness",
                &["social_post", "video_script", "image_asset"],
            ),
            ("client_retention", &["email_sequence", "voice_ad"]),
            ("re_engagement", &["email_sequence", "social_post"]),
            ("upsell", &["email_sequence", "landing_page"]),
            (
                "referral",
                &["email_sequence", "social_post", "landing_page"],
            ),
        ];
        assert_eq!(seed.len(), CampaignType::ALL.len());
        for (campaign_type, assets) in seed {
            let parsed: CampaignType = campaign_type.parse().unwrap();
            let mapped: Vec<&str> = parsed.asset_types().iter().map(|a| a.as_str()).collect();
            assert_eq!(&mapped, assets, "mapping for {campaign_type}");
        }
    }

    #[test]
    fn every_asset_type_is_produced_by_some_campaign_type() {
        for asset in AssetType::ALL {
            assert!(
                CampaignType::ALL
                    .iter()
                    .any(|c| c.asset_types().contains(asset)),
                "{asset} is never generated"
            );
        }
    }

    #[test]
    fn every_enum_round_trips_through_its_name() {
        for v in CampaignType::ALL {
            assert_eq!(v.as_str().parse::<CampaignType>().unwrap(), *v);
        }
        for v in AssetType::ALL {
            assert_eq!(v.as_str().parse::<AssetType>().unwrap(), *v);
        }
        for v in Channel::ALL {
            assert_eq!(v.as_str().parse::<Channel>().unwrap(), *v);
        }
        for v in MemberRole::ALL {
            assert_eq!(v.as_str().parse::<MemberRole>().unwrap(), *v);
        }
    }

    #[test]
    fn unknown_names_are_rejected_with_the_allowed_list() {
        let err = "LeadGen".parse::<CampaignType>().unwrap_err();
        assert_eq!(err.kind, "campaign_type");
        assert_eq!(err.value, "LeadGen");
        assert_eq!(err.allowed.len(), 6);
        let msg = err.to_string();
        assert!(
            msg.contains("lead_gen") && msg.contains("referral"),
            "{msg}"
        );
        assert!("podcasts".parse::<Channel>().is_err());
        assert!("".parse::<AssetType>().is_err());
        assert!("superuser".parse::<MemberRole>().is_err());
    }

    #[test]
    fn serde_uses_snake_case_and_rejects_unknown_values() {
        assert_eq!(
            serde_json::to_string(&CampaignType::ReEngagement).unwrap(),
            "\"re_engagement\""
        );
        assert_eq!(
            serde_json::from_str::<AssetType>("\"voice_ad\"").unwrap(),
            AssetType::VoiceAd
        );
        let err = serde_json::from_str::<AssetType>("\"podcast\"").unwrap_err();
        assert!(err.to_string().contains("landing_page"), "{err}");
    }

    #[test]
    fn roles_grant_increasing_rights() {
        assert!(MemberRole::Viewer.can_read() && !MemberRole::Viewer.can_write());
        assert!(MemberRole::Member.can_write() && !MemberRole::Member.can_manage());
        assert!(MemberRole::Admin.can_manage() && MemberRole::Owner.can_manage());
    }
}
