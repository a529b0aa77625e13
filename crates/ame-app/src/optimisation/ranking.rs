//! A campaign's audience ranked by the targeting model: scored once per model version and
//! audience state, stored, and read back a page at a time by position, so paging through
//! 100,000 contacts costs one index range per page instead of scoring everyone again.

use super::targeting::{ScorePage, summary};
use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use ame_domain::{Campaign, CampaignId, FieldError, Goal};
use ame_prediction::targeting::TargetingModel;
use ame_storage::ScoreSet;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};

/// How long a stored ranking serves before the audience is scored again even when nothing
/// changed: engagement features (days since the last click) age with time.
pub const RANKING_MAX_AGE: TimeDelta = TimeDelta::hours(24);

/// Which stored ranking a cursor belongs to: when it was scored and a hash of what from.
fn ranking_version(set: &ScoreSet) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in set.fingerprint.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{}.{hash:x}", set.scored_at.timestamp_micros())
}

fn encode_cursor(set: &ScoreSet, position: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{position}", ranking_version(set)))
}

fn decode_cursor(text: &str) -> Option<(String, u64)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
    let (version, position) = raw.split_once('|')?;
    Some((version.to_owned(), position.parse().ok()?))
}

impl Engine {
    /// A campaign's audience ranked by the model for `goal`, highest expected value first, one
    /// page at a time. The first page (no cursor) scores the audience again when the model,
    /// the organization's contacts or outcomes, or the campaign changed since the stored
    /// ranking, or it is older than [`RANKING_MAX_AGE`]; later pages read the ranking their
    /// cursor belongs to (409 once it has been replaced).
    pub async fn score_audience(
        &self,
        caller: &Caller,
        campaign: CampaignId,
        goal: Goal,
        limit: u64,
        cursor: Option<&str>,
    ) -> AppResult<ScorePage> {
        let found = self
            .repos(caller)
            .campaigns
            .get(caller.org, campaign)
            .await?;
        let after = cursor
            .map(|c| {
                decode_cursor(c).ok_or_else(|| {
                    AppError::Validation(vec![FieldError::new(
                        "cursor",
                        "is not a cursor of this list; pass `next_cursor` unchanged",
                    )])
                })
            })
            .transpose()?;
        let (trained_at, model) = self.require_model(caller.org, goal).await?;
        // The caller may read the campaign; the stored ranking is derived data the
        // organization's own principal keeps, so a viewer's read can store it too.
        let scores = self.service_repos().scores;
        let (set, start) = match after {
            None => (
                self.current_ranking(&found, goal, trained_at, &model)
                    .await?,
                0,
            ),
            Some((version, position)) => {
                match scores.score_set(caller.org, campaign, goal).await? {
                    Some(set) if ranking_version(&set) == version => (set, position),
                    _ => {
                        return Err(AppError::Conflict(
                            "the audience was ranked again since this cursor was given (its \
                             contacts, outcomes, campaign or model changed); start again from \
                             the first page, without a cursor"
                                .into(),
                        ));
                    }
                }
            }
        };
        let page = scores
            .score_page(caller.org, campaign, goal, start, limit.clamp(1, 1000))
            .await?;
        let next_cursor = page
            .last_position
            .filter(|last| *last < set.total)
            .map(|last| encode_cursor(&set, last));
        Ok(ScorePage {
            items: page.items,
            next_cursor,
            model: summary(goal, trained_at, &model),
        })
    }

    /// The stored ranking of `campaign`'s audience for `goal` if it is current, otherwise a new
    /// one: every contact scored and stored in one transaction.
    async fn current_ranking(
        &self,
        campaign: &Campaign,
        goal: Goal,
        trained_at: DateTime<Utc>,
        model: &TargetingModel,
    ) -> AppResult<ScoreSet> {
        let scores = self.service_repos().scores;
        let org = campaign.org_id;
        let fingerprint = format!(
            "{} campaign {}",
            scores.audience_inputs(org).await?,
            campaign.updated_at.timestamp_micros()
        );
        let now = self.now();
        if let Some(set) = scores.score_set(org, campaign.id, goal).await?
            && set.model_trained_at.timestamp_micros() == trained_at.timestamp_micros()
            && set.fingerprint == fingerprint
            && now - set.scored_at < RANKING_MAX_AGE
        {
            return Ok(set);
        }
        let contacts = self.executor().audience_contacts(campaign).await?;
        let ranked = self.score_for_campaign(campaign, &contacts, model).await?;
        let set = ScoreSet {
            model_trained_at: trained_at,
            fingerprint,
            scored_at: now,
            total: ranked.len() as u64,
        };
        scores
            .replace_scores(org, campaign.id, goal, set.clone(), ranked)
            .await?;
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(fingerprint: &str, micros: i64) -> ScoreSet {
        ScoreSet {
            model_trained_at: DateTime::from_timestamp_micros(0).unwrap(),
            fingerprint: fingerprint.into(),
            scored_at: DateTime::from_timestamp_micros(micros).unwrap(),
            total: 10,
        }
    }

    #[test]
    fn cursors_name_their_ranking_and_refuse_garbage() {
        let a = set("contacts 10", 1_000);
        let text = encode_cursor(&a, 7);
        assert_eq!(decode_cursor(&text), Some((ranking_version(&a), 7)));
        assert_ne!(
            ranking_version(&a),
            ranking_version(&set("contacts 11", 1_000))
        );
        assert_ne!(
            ranking_version(&a),
            ranking_version(&set("contacts 10", 2_000))
        );
        assert_eq!(decode_cursor("not-a-cursor"), None);
    }
}
