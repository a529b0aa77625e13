//! The template pools of the built-in copywriter: headlines and supporting lines of each
//! campaign type by angle, and its button labels.

use ame_domain::CampaignType;

/// Headline templates of each campaign type by angle (pain and relief, outcome, proof and
/// identity); also hooks, titles and openers.
pub(super) fn headlines(t: CampaignType) -> [&'static [&'static str]; 3] {
    match t {
        CampaignType::LeadGen => [
            &[
                "{B}, without the hassle",
                "Still waiting to {b}?",
                "What if you could {b}?",
                "Tired of {pain}?",
            ],
            &[
                "{B} with {company}",
                "The simpler way to {b}",
                "Here's how to {b}",
            ],
            &[
                "Why {audience} choose {company}",
                "{Product}, done properly",
                "Made for {audience}",
            ],
        ],
        CampaignType::BrandAwareness => [
            &[
                "Meet {company}: {b}",
                "A better way to {b}",
                "Here's how to {b}",
            ],
            &[
                "{B}, the {company} way",
                "Say hello to {company}",
                "{B}, made easy",
            ],
            &[
                "Built for {audience}",
                "Say hello to {company}",
                "{Product} from {company}",
            ],
        ],
        CampaignType::ClientRetention => [
            &[
                "Getting more from {company}",
                "Three ways to {b} this month",
                "A few tips to {b}",
            ],
            &[
                "Make the most of {product}",
                "Your next step: {b}",
                "How to {b} with {company}",
            ],
            &[
                "Thank you for choosing {company}",
                "What's working for {audience}",
                "Made better by your feedback",
            ],
        ],
        CampaignType::ReEngagement => [
            &[
                "It's been a while",
                "We've made it easier to {b}",
                "Still want to {b}?",
            ],
            &[
                "Come back and {b}",
                "Come back for {incentive}",
                "Pick up where you left off",
            ],
            &[
                "What's new at {company}",
                "A lot has changed at {company}",
                "Your account is ready",
            ],
        ],
        CampaignType::Upsell => [
            &["Ready to {b}?", "Do more: {b}", "Meet the {plan} plan"],
            &[
                "Unlock more with {company}",
                "The next step: {b}",
                "Move up to {plan}",
            ],
            &[
                "You've grown. So can {company}",
                "More of what works",
                "Built for what comes next",
            ],
        ],
        CampaignType::Referral => [
            &[
                "Know someone who should {b}?",
                "Give {reward}, get {reward}",
                "Give a friend a head start",
            ],
            &[
                "Good things are better shared",
                "A friend could {b} too",
                "Invite a friend to {company}",
            ],
            &[
                "Share {company}, both get rewarded",
                "Your friends, our thanks",
                "Pass on what works for you",
            ],
        ],
    }
}

/// Supporting-line templates of each campaign type by angle.
pub(super) fn subheadlines(t: CampaignType) -> [&'static [&'static str]; 3] {
    match t {
        CampaignType::LeadGen => [
            &[
                "{company} takes the busywork away, so {audience} can {b}.",
                "Less chasing, fewer mistakes: {company} helps you {b}.",
            ],
            &[
                "With {company}, {audience} {b} as a matter of course.",
                "{Product} that lets you {b}, week after week.",
            ],
            &[
                "{Audience} rely on {company} for {product}. See why.",
                "{Product} from {company}, built around how {audience} work.",
            ],
        ],
        CampaignType::BrandAwareness => [
            &[
                "{company} makes {product} for {audience} who want to {b}.",
                "We help {audience} {b}.",
            ],
            &[
                "{Product}, designed so you can {b}.",
                "With {company} you {b}, and that's only the start.",
            ],
            &[
                "{company} is {product} for {audience}.",
                "We built {company} for {audience}. Come and see.",
            ],
        ],
        CampaignType::ClientRetention => [
            &[
                "Small changes that help you {b} with {company}.",
                "You're already set up. Here's how to {b}.",
            ],
            &[
                "A few ideas from our team so you can {b}.",
                "Here's what other customers do to {b}.",
            ],
            &[
                "Thanks for being with us. Here's what's working for {audience} right now.",
                "Your feedback shapes {company}. Here's what it changed.",
            ],
        ],
        CampaignType::ReEngagement => [
            &[
                "Since you last visited, we've made it easier to {b}.",
                "Come back and get {incentive}. Your account is where you left it.",
            ],
            &[
                "We listened and changed things, so you can {b}.",
                "A quick look at what's new: you can now {b}.",
            ],
            &[
                "A lot has changed at {company}. Come and see.",
                "Your account is waiting, just as you left it.",
            ],
        ],
        CampaignType::Upsell => [
            &[
                "Customers like you upgrade to {b}. It takes two minutes.",
                "Add the next step to {product} and {b}.",
            ],
            &[
                "Everything you use today, plus the chance to {b}.",
                "The {plan} plan adds what comes next and keeps everything you use today.",
            ],
            &[
                "More of what already works for you at {company}.",
                "The upgrade keeps your setup and adds what comes next.",
            ],
        ],
        CampaignType::Referral => [
            &[
                "Invite a friend to {company}. They {b}, and you both get rewarded.",
                "Your friends can {b} too, and you'll both get a thank-you from us.",
            ],
            &[
                "Share your link. When a friend joins, you both get {reward}.",
                "Know someone who'd like to {b}? Send them your link.",
            ],
            &[
                "Recommend {company} to someone you know, and we'll thank you both.",
                "Good recommendations deserve a thank-you. Share yours.",
            ],
        ],
    }
}

/// Button labels of each campaign type: the type's call to action first.
pub(super) fn cta_labels(t: CampaignType) -> &'static [&'static str] {
    match t {
        CampaignType::LeadGen => &["{cta}", "Get started", "See how it works"],
        CampaignType::BrandAwareness => &["{cta}", "Discover {company}", "See how it works"],
        CampaignType::ClientRetention => &["{cta}", "Read the tips", "See what's new"],
        CampaignType::ReEngagement => &["{cta}", "See what's new", "Take another look"],
        CampaignType::Upsell => &["{cta}", "Compare plans", "Upgrade now"],
        CampaignType::Referral => &["{cta}", "Invite a friend", "Share the invite"],
    }
}
