//! Stored audience rankings: a campaign's audience scored once per model version and audience
//! state, kept in blocks of [`BLOCK`] positions (packed contact ids and scores) and read back a
//! page at a time: one or two blocks by key, however large the audience.

use crate::entity::{audience_score_set, contact};
use crate::error::DbResultExt;
use crate::queue::{micros, statement};
use crate::scope::Scope;
use crate::{StorageError, StorageResult};
use ame_domain::{CampaignId, ContactId, Goal, OrgId, ScoredContact};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Value;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
};
use std::collections::HashMap;

/// Positions per stored block.
pub const BLOCK: usize = 1000;
/// Blocks written per statement.
const BLOCKS_PER_STATEMENT: usize = 20;
/// Bytes of one packed entry: the contact id, three scores and whether uplift is known.
const ENTRY_BYTES: usize = 16 + 3 * 8 + 1;

/// What a stored ranking was made from and when.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreSet {
    /// When the targeting model that scored it was trained (its version).
    pub model_trained_at: DateTime<Utc>,
    /// A summary of its inputs: a ranking whose fingerprint differs from the current one is stale.
    pub fingerprint: String,
    /// When it was scored.
    pub scored_at: DateTime<Utc>,
    /// How many contacts it ranks.
    pub total: u64,
}

/// One page of a stored ranking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RankedPage {
    /// The page's contacts, best first, with the address each has now (contacts deleted or
    /// erased since the ranking are left out).
    pub items: Vec<ScoredContact>,
    /// The last position the page covered (`None` past the end): the next page starts after it.
    pub last_position: Option<u64>,
}

/// Stored rankings of campaigns' audiences.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AudienceScoreRepository: Send + Sync {
    /// The stored ranking of `campaign`'s audience for `goal`, if one was stored.
    async fn score_set(
        &self,
        org: OrgId,
        campaign: CampaignId,
        goal: Goal,
    ) -> StorageResult<Option<ScoreSet>>;
    /// Replaces the stored ranking with `ranked` (best first) in one transaction: a reader sees
    /// the old ranking or the new one, never a mixture.
    async fn replace_scores(
        &self,
        org: OrgId,
        campaign: CampaignId,
        goal: Goal,
        set: ScoreSet,
        ranked: Vec<ScoredContact>,
    ) -> StorageResult<()>;
    /// The `limit` positions after position `after` (0 for the top) of the stored ranking.
    async fn score_page(
        &self,
        org: OrgId,
        campaign: CampaignId,
        goal: Goal,
        after: u64,
        limit: u64,
    ) -> StorageResult<RankedPage>;
    /// A summary of the organization's contacts and outcome records that changes whenever one
    /// is added, changed or removed (counts and latest changes).
    async fn audience_inputs(&self, org: OrgId) -> StorageResult<String>;
}

/// The database's audience rankings.
#[derive(Clone)]
pub struct SqlAudienceScores {
    scope: Scope,
}

impl SqlAudienceScores {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }
}

#[async_trait]
impl AudienceScoreRepository for SqlAudienceScores {
    async fn score_set(
        &self,
        org: OrgId,
        campaign: CampaignId,
        goal: Goal,
    ) -> StorageResult<Option<ScoreSet>> {
        let txn = self.scope.begin(org).await?;
        let found = audience_score_set::Entity::find()
            .filter(audience_score_set::Column::OrgId.eq(org.as_uuid()))
            .filter(audience_score_set::Column::CampaignId.eq(campaign.as_uuid()))
            .filter(audience_score_set::Column::Goal.eq(goal.as_str()))
            .one(&txn)
            .await
            .db()?;
        Scope::end_read(txn);
        Ok(found.map(|m| ScoreSet {
            model_trained_at: m.model_trained_at,
            fingerprint: m.fingerprint,
            scored_at: m.scored_at,
            total: Ord::max(m.total, 0) as u64,
        }))
    }

    async fn replace_scores(
        &self,
        org: OrgId,
        campaign: CampaignId,
        goal: Goal,
        set: ScoreSet,
        ranked: Vec<ScoredContact>,
    ) -> StorageResult<()> {
        let backend = self.scope.db.get_database_backend();
        let txn = self.scope.begin_write(org).await?;
        if backend == DbBackend::Postgres {
            // Two first pages of one ranking may store it at once: the second waits for the
            // first to commit and then replaces it, instead of failing on the set's key.
            // (SQLite's write transactions are already one at a time.)
            txn.execute_raw(statement(
                backend,
                "SELECT pg_advisory_xact_lock(hashtextextended(? || ':' || ?, 0))",
                vec![campaign.as_uuid().to_string().into(), goal.as_str().into()],
            ))
            .await
            .db()?;
        }
        // Deleting the set deletes its positions (ON DELETE CASCADE).
        audience_score_set::Entity::delete_many()
            .filter(audience_score_set::Column::OrgId.eq(org.as_uuid()))
            .filter(audience_score_set::Column::CampaignId.eq(campaign.as_uuid()))
            .filter(audience_score_set::Column::Goal.eq(goal.as_str()))
            .exec(&txn)
            .await
            .db()?;
        audience_score_set::Entity::insert(audience_score_set::ActiveModel {
            org_id: Set(org.as_uuid()),
            campaign_id: Set(campaign.as_uuid()),
            goal: Set(goal.as_str().to_owned()),
            model_trained_at: Set(micros(set.model_trained_at)),
            fingerprint: Set(set.fingerprint),
            scored_at: Set(micros(set.scored_at)),
            total: Set(i64::try_from(ranked.len()).unwrap_or(i64::MAX)),
        })
        .exec_without_returning(&txn)
        .await
        .db()?;
        let blocks: Vec<Vec<u8>> = ranked.chunks(BLOCK).map(pack).collect();
        for (statement_index, group) in blocks.chunks(BLOCKS_PER_STATEMENT).enumerate() {
            let mut sql = String::from(
                "INSERT INTO audience_scores (org_id, campaign_id, goal, block, entries) VALUES ",
            );
            let mut values: Vec<Value> = Vec::with_capacity(group.len() * 5);
            for (i, entries) in group.iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str("(?, ?, ?, ?, ?)");
                let block = statement_index * BLOCKS_PER_STATEMENT + i;
                values.extend([
                    org.as_uuid().into(),
                    campaign.as_uuid().into(),
                    goal.as_str().into(),
                    i32::try_from(block).unwrap_or(i32::MAX).into(),
                    entries.clone().into(),
                ]);
            }
            txn.execute_raw(statement(backend, &sql, values))
                .await
                .db()?;
        }
        txn.commit().await.db()?;
        Ok(())
    }

    async fn score_page(
        &self,
        org: OrgId,
        campaign: CampaignId,
        goal: Goal,
        after: u64,
        limit: u64,
    ) -> StorageResult<RankedPage> {
        let backend = self.scope.db.get_database_backend();
        let block = |position: u64| i64::try_from(position / BLOCK as u64).unwrap_or(i64::MAX);
        let last_wanted = after.saturating_add(limit);
        let txn = self.scope.begin(org).await?;
        let rows = txn
            .query_all_raw(statement(
                backend,
                "SELECT block, entries FROM audience_scores \
                 WHERE org_id = ? AND campaign_id = ? AND goal = ? AND block BETWEEN ? AND ? \
                 ORDER BY block",
                vec![
                    org.as_uuid().into(),
                    campaign.as_uuid().into(),
                    goal.as_str().into(),
                    block(after).into(),
                    block(last_wanted.saturating_sub(1)).into(),
                ],
            ))
            .await
            .db()?;
        let mut ranked = Vec::new();
        for row in &rows {
            let number: i32 = row.try_get("", "block").db()?;
            let entries: Vec<u8> = row.try_get("", "entries").db()?;
            let first = Ord::max(number, 0) as u64 * BLOCK as u64 + 1;
            for (i, scored) in unpack(&entries)?.into_iter().enumerate() {
                let position = first + i as u64;
                if position > after && position <= last_wanted {
                    ranked.push((position, scored));
                }
            }
        }
        let last_position = ranked.last().map(|(position, _)| *position);
        let ids: Vec<uuid::Uuid> = ranked.iter().map(|(_, s)| s.contact_id.as_uuid()).collect();
        let mut emails: HashMap<uuid::Uuid, Option<String>> = HashMap::with_capacity(ids.len());
        if !ids.is_empty() {
            for m in contact::Entity::find()
                .filter(contact::Column::OrgId.eq(org.as_uuid()))
                .filter(contact::Column::Id.is_in(ids))
                .filter(contact::Column::ErasedAt.is_null())
                .all(&txn)
                .await
                .db()?
            {
                emails.insert(m.id, m.email);
            }
        }
        Scope::end_read(txn);
        let items = ranked
            .into_iter()
            .filter_map(|(_, mut scored)| {
                scored.email = emails.remove(&scored.contact_id.as_uuid())?;
                Some(scored)
            })
            .collect();
        Ok(RankedPage {
            items,
            last_position,
        })
    }

    async fn audience_inputs(&self, org: OrgId) -> StorageResult<String> {
        let backend = self.scope.db.get_database_backend();
        let txn = self.scope.begin(org).await?;
        let row = txn
            .query_one_raw(statement(
                backend,
                "SELECT (SELECT COUNT(*) FROM contacts WHERE org_id = ?) AS contacts, \
                 (SELECT MAX(updated_at) FROM contacts WHERE org_id = ?) AS contacts_changed, \
                 (SELECT COUNT(*) FROM outcomes WHERE org_id = ?) AS outcomes, \
                 (SELECT MAX(updated_at) FROM outcomes WHERE org_id = ?) AS outcomes_changed",
                vec![org.as_uuid().into(); 4],
            ))
            .await
            .db()?;
        Scope::end_read(txn);
        let row = row.ok_or_else(|| StorageError::Database("no row from a summary".into()))?;
        let count = |name: &str| row.try_get::<i64>("", name).db();
        let latest = |name: &str| {
            row.try_get::<Option<DateTime<Utc>>>("", name)
                .db()
                .map(|t| t.map_or_else(|| "-".to_owned(), |t| t.timestamp_micros().to_string()))
        };
        Ok(format!(
            "contacts {} {} outcomes {} {}",
            count("contacts")?,
            latest("contacts_changed")?,
            count("outcomes")?,
            latest("outcomes_changed")?,
        ))
    }
}

/// A score as stored: a value the database can hold (a non-finite score would be a model bug;
/// it ranks last as 0 rather than failing the whole ranking).
fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

/// Packs ranked contacts into a block: per contact its id, probability, expected value and
/// uplift (little-endian), and a byte saying whether uplift is known.
fn pack(ranked: &[ScoredContact]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ranked.len() * ENTRY_BYTES);
    for s in ranked {
        out.extend_from_slice(s.contact_id.as_uuid().as_bytes());
        out.extend_from_slice(&finite(s.p_response).to_le_bytes());
        out.extend_from_slice(&finite(s.expected_value).to_le_bytes());
        out.extend_from_slice(&s.uplift.map_or(0.0, finite).to_le_bytes());
        out.push(u8::from(s.uplift.is_some()));
    }
    out
}

/// The contacts of a packed block (without addresses).
fn unpack(bytes: &[u8]) -> StorageResult<Vec<ScoredContact>> {
    if !bytes.len().is_multiple_of(ENTRY_BYTES) {
        return Err(StorageError::Database(format!(
            "a stored ranking block of {} bytes is not a whole number of entries",
            bytes.len()
        )));
    }
    let float = |b: &[u8]| {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(b);
        f64::from_le_bytes(raw)
    };
    Ok(bytes
        .chunks_exact(ENTRY_BYTES)
        .map(|e| {
            let mut id = [0u8; 16];
            id.copy_from_slice(&e[..16]);
            ScoredContact {
                contact_id: ContactId::from_uuid(uuid::Uuid::from_bytes(id)),
                email: None,
                p_response: float(&e[16..24]),
                expected_value: float(&e[24..32]),
                uplift: (e[40] == 1).then(|| float(&e[32..40])),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_pack_and_unpack_every_score() {
        let ranked = vec![
            ScoredContact {
                contact_id: ContactId::new(),
                email: Some("a@example.com".into()),
                p_response: 0.25,
                expected_value: 12.5,
                uplift: Some(-0.03),
            },
            ScoredContact {
                contact_id: ContactId::new(),
                email: None,
                p_response: 0.125,
                expected_value: f64::NAN,
                uplift: None,
            },
        ];
        let packed = pack(&ranked);
        assert_eq!(packed.len(), 2 * ENTRY_BYTES);
        let back = unpack(&packed).unwrap();
        assert_eq!(back[0].contact_id, ranked[0].contact_id);
        assert_eq!(back[0].email, None);
        assert_eq!(
            (back[0].p_response, back[0].expected_value, back[0].uplift),
            (0.25, 12.5, Some(-0.03))
        );
        assert_eq!((back[1].expected_value, back[1].uplift), (0.0, None));
        assert!(unpack(&packed[..ENTRY_BYTES + 3]).is_err());
    }
}
