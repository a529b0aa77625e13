//! Typed views of the asset content that execution reads: an email sequence's steps and a
//! social post set's posts. The wire and database format stays the generator's JSON; a view
//! reads only the fields execution needs, and a malformed asset reads as empty rather than
//! as made-up values.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// An email sequence's steps.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct EmailSequenceView {
    /// The steps, in order.
    #[serde(default)]
    pub emails: Vec<SequenceEmailView>,
    /// A referral sequence's friend-facing page (`/p/{slug}`), where each contact's
    /// `{{referral_url}}` leads.
    #[serde(default)]
    pub referral_page: Option<String>,
}

/// One step of an email sequence.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SequenceEmailView {
    /// Its number (1-based); the position when absent.
    #[serde(default)]
    pub step: Option<u32>,
    /// Days after the sequence starts.
    #[serde(default)]
    pub day: u32,
    /// Its subject variants (one subject written as a string counts as one variant).
    #[serde(default, deserialize_with = "one_or_many")]
    pub subject: Vec<String>,
    /// Where its call to action leads.
    #[serde(default)]
    pub cta_url: Option<String>,
    /// What it is for (`invite`, `thank_you`, …).
    #[serde(default)]
    pub purpose: Option<String>,
}

/// A list of strings, or one string as a list of one.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

impl EmailSequenceView {
    /// Reads an email sequence asset's content; malformed content has no steps.
    pub fn read(content: &serde_json::Value) -> Self {
        serde_json::from_value(content.clone()).unwrap_or_default()
    }

    /// Each step with its number (written, or its 1-based position).
    pub fn numbered(&self) -> impl Iterator<Item = (u32, &SequenceEmailView)> {
        self.emails
            .iter()
            .enumerate()
            .map(|(i, e)| (e.step.unwrap_or(i as u32 + 1), e))
    }

    /// Step `step`: the one numbered so, else the one at that position.
    pub fn step(&self, step: u32) -> Option<&SequenceEmailView> {
        self.emails
            .iter()
            .find(|e| e.step == Some(step))
            .or_else(|| self.emails.get(step.saturating_sub(1) as usize))
    }
}

/// A social post set's posts.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct SocialPostsView {
    /// The posts.
    #[serde(default)]
    pub posts: Vec<SocialPostView>,
}

/// One post: its platform and when it is best posted; the rest of it travels as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SocialPostView {
    /// The platform (a channel name).
    pub platform: String,
    /// When to post it.
    #[serde(default)]
    pub posting_time: Option<PostingTimeView>,
}

/// When a post is best posted.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PostingTimeView {
    /// The suggested moment.
    #[serde(default)]
    pub suggested_at: Option<DateTime<Utc>>,
}

impl SocialPostsView {
    /// Reads a social post asset's content, with each post's JSON beside its view; malformed
    /// posts are left out.
    pub fn read(content: &serde_json::Value) -> Vec<(SocialPostView, serde_json::Value)> {
        content["posts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|post| Some((serde_json::from_value(post.clone()).ok()?, post.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sequence_steps_are_numbered_and_found() {
        let view = EmailSequenceView::read(&json!({"emails": [
            {"step": 1, "day": 0, "subject": ["A", "B"], "cta_url": "https://x.example"},
            {"day": 4, "subject": "C"},
        ]}));
        let numbered: Vec<(u32, u32)> = view.numbered().map(|(n, e)| (n, e.day)).collect();
        assert_eq!(numbered, [(1, 0), (2, 4)]);
        assert_eq!(view.step(2).unwrap().subject, ["C"]);
        assert_eq!(
            view.step(1).unwrap().cta_url.as_deref(),
            Some("https://x.example")
        );
        assert!(view.step(3).is_none());
    }

    #[test]
    fn malformed_content_reads_as_empty() {
        assert!(
            EmailSequenceView::read(&json!({"emails": "nope"}))
                .emails
                .is_empty()
        );
        assert!(EmailSequenceView::read(&json!([1, 2])).emails.is_empty());
        let posts = SocialPostsView::read(&json!({"posts": [
            {"platform": "linkedin", "posting_time": {"suggested_at": "2027-03-02T15:00:00Z"}},
            {"no_platform": true}
        ]}));
        assert_eq!(posts.len(), 1);
        assert_eq!(
            posts[0]
                .0
                .posting_time
                .as_ref()
                .unwrap()
                .suggested_at
                .unwrap()
                .to_rfc3339(),
            "2027-03-02T15:00:00+00:00"
        );
    }
}
