//! The sea-orm result repository: recorded campaign results, the per-channel totals kept beside
//! them, and every organization's outcomes for the predictor.
//!
//! Amounts are summed as whole cents, so sums are exact on PostgreSQL and, on SQLite (which
//! stores amounts as `REAL`), for any total below about 10^13. Each write of totals takes a new revision: on PostgreSQL from the sequence
//! `campaign_result_revision`, under a transaction-level advisory lock so revisions become visible
//! in the order they were taken (a reader that saw revision `r` has seen every write up to `r`);
//! on SQLite, where one connection serialises all work, from a one-row counter table.
//!
//! The history names organizations and campaigns only by opaque keys ([`org_group`],
//! [`campaign_group`]: truncated SHA-256 hashes of their ids), stored beside each channel total
//! when it is written, so both engines return the same keys and reading them costs nothing.

use crate::campaigns::money;
use crate::entity::{asset, campaign, campaign_result, channel_totals};
use crate::error::{DbResultExt, from_db};
use crate::repository::ResultRepository;
use crate::scope::{Scope, now, parse_stored, role_in};
use crate::{StorageError, StorageResult};
use ame_domain::{
    AssetId, CampaignId, CampaignType, Channel, ChannelOutcome, FieldError, FunnelMetrics, OrgId,
    ResultRecord, ResultRecordInput, ResultTotals, UserId, ValidationError,
    validate_result_records,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, Order, QueryFilter, QueryOrder, QueryResult, QuerySelect, Statement, Value,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashSet};
use uuid::Uuid;

/// The largest total of spend or revenue one campaign may reach on one channel
/// (`NUMERIC(16, 2)`).
pub const MAX_TOTAL_AMOUNT: Decimal = Decimal::from_parts(1_874_919_423, 2_328_306, 0, false, 2);

mod history;

pub use history::{campaign_group, org_group};
use history::{history_error, history_postgres, history_sqlite};

/// Records per `INSERT` statement (14 bound values each, well inside both engines' limits).
const UPSERT_CHUNK: usize = 500;

/// PostgreSQL advisory lock key (ASCII `ame_rev`) held from taking a revision until commit.
const REVISION_LOCK: i64 = 0x0061_6d65_5f72_6576;

/// Results stored through sea-orm (SQLite or PostgreSQL).
#[derive(Debug, Clone)]
pub struct SqlResults {
    scope: Scope,
}

impl SqlResults {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }

    fn backend(&self) -> DbBackend {
        self.scope.db.get_database_backend()
    }

    /// On SQLite, fails with `NotFound` unless the acting principal is a member of `org` (for an
    /// acting user [`Scope::begin`] has checked already; this covers the organization's service
    /// principal, whose organization may not exist). PostgreSQL's history functions check it.
    async fn ensure_member(&self, txn: &DatabaseTransaction, org: OrgId) -> StorageResult<()> {
        if self.scope.acting_user.is_none()
            && role_in(txn, UserId::from_uuid(org.as_uuid()), org)
                .await?
                .is_none()
        {
            return Err(StorageError::not_found("organization"));
        }
        Ok(())
    }
}

/// Amounts always carry two decimals, whichever backend stored them.
fn amount(value: Option<Decimal>) -> Option<Decimal> {
    value.map(money)
}

/// The six measurements of a row, starting at column `first`: reach, clicks, leads, conversions,
/// then spend and revenue as whole cents.
fn metrics_from(row: &QueryResult, first: usize) -> StorageResult<FunnelMetrics> {
    Ok(FunnelMetrics {
        reach: row.try_get_by_index(first).db()?,
        clicks: row.try_get_by_index(first + 1).db()?,
        leads: row.try_get_by_index(first + 2).db()?,
        conversions: row.try_get_by_index(first + 3).db()?,
        spend: from_cents(row.try_get_by_index(first + 4).db()?),
        revenue: from_cents(row.try_get_by_index(first + 5).db()?),
    })
}

/// An amount summed as whole cents.
fn from_cents(cents: Option<i64>) -> Option<Decimal> {
    cents.map(|c| Decimal::new(c, 2))
}

/// `count` placeholders for `backend`, numbered from `first` (PostgreSQL `$n`, SQLite `?`).
fn placeholders(backend: DbBackend, first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| match backend {
            DbBackend::Postgres => format!("${n}"),
            _ => "?".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn record_to_domain(m: campaign_result::Model) -> StorageResult<ResultRecord> {
    Ok(ResultRecord {
        campaign_id: CampaignId::from_uuid(m.campaign_id),
        date: m.date,
        channel: parse_stored("channel", &m.channel)?,
        asset_id: m.asset_id.map(AssetId::from_uuid),
        metrics: FunnelMetrics {
            reach: m.reach,
            clicks: m.clicks,
            leads: m.leads,
            conversions: m.conversions,
            spend: amount(m.spend),
            revenue: amount(m.revenue),
        },
        updated_at: m.updated_at,
    })
}

fn totals_metrics(m: &channel_totals::Model) -> FunnelMetrics {
    FunnelMetrics {
        reach: m.reach,
        clicks: m.clicks,
        leads: m.leads,
        conversions: m.conversions,
        spend: amount(m.spend),
        revenue: amount(m.revenue),
    }
}

/// Reads and locks the campaign (on PostgreSQL until the transaction ends, so concurrent
/// submissions for one campaign run one after another); `NotFound` unless `org` owns it.
async fn lock_campaign(
    txn: &DatabaseTransaction,
    org: OrgId,
    id: CampaignId,
) -> StorageResult<campaign::Model> {
    campaign::Entity::find()
        .filter(campaign::Column::Id.eq(id.as_uuid()))
        .filter(campaign::Column::OrgId.eq(org.as_uuid()))
        .lock_exclusive()
        .one(txn)
        .await
        .db()?
        .ok_or(StorageError::not_found("campaign"))
}

/// Fails with `NotFound` unless `org` owns the campaign.
async fn ensure_campaign(
    txn: &DatabaseTransaction,
    org: OrgId,
    id: CampaignId,
) -> StorageResult<()> {
    campaign::Entity::find()
        .select_only()
        .column(campaign::Column::Id)
        .filter(campaign::Column::Id.eq(id.as_uuid()))
        .filter(campaign::Column::OrgId.eq(org.as_uuid()))
        .into_tuple::<Uuid>()
        .one(txn)
        .await
        .db()?
        .map(|_| ())
        .ok_or(StorageError::not_found("campaign"))
}

/// Every named asset must be one of the campaign's (any version); reports each record that
/// names another.
async fn check_assets(
    txn: &DatabaseTransaction,
    org: OrgId,
    campaign_id: CampaignId,
    records: &[ResultRecordInput],
) -> StorageResult<()> {
    let named: BTreeSet<Uuid> = records
        .iter()
        .filter_map(|r| r.asset_id.map(|a| a.as_uuid()))
        .collect();
    if named.is_empty() {
        return Ok(());
    }
    let known: HashSet<Uuid> = asset::Entity::find()
        .select_only()
        .column(asset::Column::Id)
        .filter(asset::Column::CampaignId.eq(campaign_id.as_uuid()))
        .filter(asset::Column::OrgId.eq(org.as_uuid()))
        .filter(asset::Column::Id.is_in(named))
        .into_tuple::<Uuid>()
        .all(txn)
        .await
        .db()?
        .into_iter()
        .collect();
    let errors: Vec<FieldError> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let id = r.asset_id?;
            (!known.contains(&id.as_uuid())).then(|| {
                FieldError::new(
                    format!("[{i}].asset_id"),
                    format!(
                        "`{id}` is not an asset of this campaign; name one of its assets (any version) or leave asset_id out"
                    ),
                )
            })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ValidationError { errors }.into())
    }
}

/// Inserts the records, replacing any stored under the same key (day, channel, asset).
async fn upsert_records(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    org: OrgId,
    campaign_id: CampaignId,
    records: &[ResultRecordInput],
    at: DateTime<Utc>,
) -> StorageResult<()> {
    const COLUMNS: usize = 14;
    let nil = match backend {
        DbBackend::Postgres => "'00000000-0000-0000-0000-000000000000'::uuid",
        _ => "X'00000000000000000000000000000000'",
    };
    for chunk in records.chunks(UPSERT_CHUNK) {
        let rows = (0..chunk.len())
            .map(|i| format!("({})", placeholders(backend, i * COLUMNS + 1, COLUMNS)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO campaign_results \
             (id, org_id, campaign_id, date, channel, asset_id, reach, clicks, leads, conversions, \
              spend, revenue, created_at, updated_at) VALUES {rows} \
             ON CONFLICT (campaign_id, date, channel, COALESCE(asset_id, {nil})) DO UPDATE SET \
             reach = excluded.reach, clicks = excluded.clicks, leads = excluded.leads, \
             conversions = excluded.conversions, spend = excluded.spend, \
             revenue = excluded.revenue, updated_at = excluded.updated_at"
        );
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * COLUMNS);
        for r in chunk {
            values.extend([
                Uuid::now_v7().into(),
                org.as_uuid().into(),
                campaign_id.as_uuid().into(),
                r.date.into(),
                r.channel.as_str().into(),
                r.asset_id.map(|a| a.as_uuid()).into(),
                r.reach.into(),
                r.clicks.into(),
                r.leads.into(),
                r.conversions.into(),
                r.spend.into(),
                r.revenue.into(),
                at.into(),
                at.into(),
            ]);
        }
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await
            .db()?;
    }
    Ok(())
}

/// The sums over the campaign's records on each of `channels`: (channel, records, metrics).
async fn channel_sums(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    org: OrgId,
    campaign_id: CampaignId,
    channels: &BTreeSet<Channel>,
) -> StorageResult<Vec<(Channel, i64, FunnelMetrics)>> {
    // Amounts as whole cents: exact on PostgreSQL's NUMERIC, and on SQLite's REAL because every
    // stored amount is within a rounding error of its cents.
    let (count_sum, cents_sum) = match backend {
        DbBackend::Postgres => ("SUM({c})::bigint", "SUM({c} * 100)::bigint"),
        _ => ("SUM({c})", "SUM(CAST(ROUND({c} * 100) AS INTEGER))"),
    };
    let sum =
        |template: &str, column: &str| format!("{} AS {column}", template.replace("{c}", column));
    let sql = format!(
        "SELECT channel, COUNT(*) AS records, {}, {}, {}, {}, {}, {} FROM campaign_results \
         WHERE campaign_id = {} AND org_id = {} AND channel IN ({}) GROUP BY channel",
        sum(count_sum, "reach"),
        sum(count_sum, "clicks"),
        sum(count_sum, "leads"),
        sum(count_sum, "conversions"),
        sum(cents_sum, "spend"),
        sum(cents_sum, "revenue"),
        placeholders(backend, 1, 1),
        placeholders(backend, 2, 1),
        placeholders(backend, 3, channels.len()),
    );
    let mut values: Vec<Value> = vec![campaign_id.as_uuid().into(), org.as_uuid().into()];
    values.extend(channels.iter().map(|c| Value::from(c.as_str())));
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .db()?;
    rows.iter()
        .map(|row| {
            let channel: String = row.try_get_by_index(0).db()?;
            Ok((
                parse_stored("channel", &channel)?,
                row.try_get_by_index::<i64>(1).db()?,
                metrics_from(row, 2)?,
            ))
        })
        .collect()
}

/// Refuses totals the `campaign_channel_totals` columns cannot hold.
fn check_total_limits(sums: &[(Channel, i64, FunnelMetrics)]) -> StorageResult<()> {
    let funnel = sums.iter().flat_map(|(channel, _, m)| {
        m.funnel_violations()
            .into_iter()
            .map(move |(stage, base, k, n)| {
                FieldError::new(
                    "records",
                    format!(
                        "the campaign's {stage} on {channel} would total {k}, more than its {base} ({n}); record {base} on the same days as {stage}"
                    ),
                )
            })
    });
    let errors: Vec<FieldError> = funnel
        .chain(sums.iter().flat_map(|(channel, _, m)| {
            [("spend", m.spend), ("revenue", m.revenue)]
                .into_iter()
                .filter(|(_, v)| v.is_some_and(|v| v > MAX_TOTAL_AMOUNT))
                .map(move |(name, v)| {
                    FieldError::new(
                        "records",
                        format!(
                            "the campaign's {name} on {channel} would total {}, more than the {MAX_TOTAL_AMOUNT} a channel's total may reach",
                            v.unwrap_or_default()
                        ),
                    )
                })
        }))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ValidationError { errors }.into())
    }
}

/// Takes the next history revision. On PostgreSQL the advisory lock is held until the
/// transaction ends, so a higher revision never becomes visible before a lower one.
async fn next_revision(txn: &DatabaseTransaction, backend: DbBackend) -> StorageResult<i64> {
    let sql = match backend {
        DbBackend::Postgres => {
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                "SELECT pg_advisory_xact_lock($1)",
                [REVISION_LOCK.into()],
            ))
            .await
            .db()?;
            "SELECT nextval('campaign_result_revision')"
        }
        _ => "UPDATE campaign_result_revision SET value = value + 1 WHERE id = 1 RETURNING value",
    };
    txn.query_one_raw(Statement::from_string(backend, sql))
        .await
        .db()?
        .ok_or_else(|| StorageError::Database("no revision was handed out".into()))?
        .try_get_by_index::<i64>(0)
        .db()
}

/// The campaign's overall totals: the sum of its channel totals, and its first and last day.
async fn campaign_totals(
    txn: &DatabaseTransaction,
    org: OrgId,
    campaign_id: CampaignId,
) -> StorageResult<ResultTotals> {
    let channels = channel_totals::Entity::find()
        .filter(channel_totals::Column::CampaignId.eq(campaign_id.as_uuid()))
        .filter(channel_totals::Column::OrgId.eq(org.as_uuid()))
        .all(txn)
        .await
        .db()?;
    let (first_date, last_date): (Option<NaiveDate>, Option<NaiveDate>) =
        campaign_result::Entity::find()
            .select_only()
            .column_as(campaign_result::Column::Date.min(), "first_date")
            .column_as(campaign_result::Column::Date.max(), "last_date")
            .filter(campaign_result::Column::CampaignId.eq(campaign_id.as_uuid()))
            .filter(campaign_result::Column::OrgId.eq(org.as_uuid()))
            .into_tuple()
            .one(txn)
            .await
            .db()?
            .unwrap_or_default();
    let mut totals = ResultTotals {
        first_date,
        last_date,
        ..ResultTotals::default()
    };
    for row in &channels {
        totals.records += u64::try_from(row.records).unwrap_or_default();
        totals.metrics.accumulate(&totals_metrics(row));
    }
    Ok(totals)
}

#[async_trait]
impl ResultRepository for SqlResults {
    async fn record(
        &self,
        org: OrgId,
        campaign_id: CampaignId,
        records: Vec<ResultRecordInput>,
    ) -> StorageResult<ResultTotals> {
        validate_result_records(&records)?;
        let backend = self.backend();
        let txn = self.scope.begin_write(org).await?;
        let campaign = lock_campaign(&txn, org, campaign_id).await?;
        check_assets(&txn, org, campaign_id, &records).await?;
        let at = now();
        upsert_records(&txn, backend, org, campaign_id, &records, at).await?;

        let touched: BTreeSet<Channel> = records.iter().map(|r| r.channel).collect();
        let sums = channel_sums(&txn, backend, org, campaign_id, &touched).await?;
        check_total_limits(&sums)?;
        let revision = next_revision(&txn, backend).await?;
        let rows = sums
            .into_iter()
            .map(|(channel, count, m)| {
                let records = i32::try_from(count).map_err(|_| {
                    StorageError::Invalid(format!("too many records on {channel}: {count}"))
                })?;
                Ok(channel_totals::ActiveModel {
                    campaign_id: Set(campaign_id.as_uuid()),
                    channel: Set(channel.as_str().to_owned()),
                    org_id: Set(org.as_uuid()),
                    org_group: Set(org_group(org)),
                    campaign_group: Set(campaign_group(campaign_id)),
                    campaign_type: Set(campaign.campaign_type.clone()),
                    records: Set(records),
                    reach: Set(m.reach),
                    clicks: Set(m.clicks),
                    leads: Set(m.leads),
                    conversions: Set(m.conversions),
                    spend: Set(m.spend),
                    revenue: Set(m.revenue),
                    revision: Set(revision),
                    updated_at: Set(at),
                })
            })
            .collect::<StorageResult<Vec<_>>>()?;
        use channel_totals::Column as T;
        channel_totals::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([T::CampaignId, T::Channel])
                    .update_columns([
                        T::CampaignType,
                        T::Records,
                        T::Reach,
                        T::Clicks,
                        T::Leads,
                        T::Conversions,
                        T::Spend,
                        T::Revenue,
                        T::Revision,
                        T::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await
            .db()?;

        let totals = campaign_totals(&txn, org, campaign_id).await?;
        let performance = serde_json::to_value(&totals)
            .map_err(|e| StorageError::Invalid(format!("result totals: {e}")))?;
        // Only the performance column: the campaign's `updated_at` guards plan edits.
        campaign::Entity::update_many()
            .col_expr(campaign::Column::Performance, Expr::value(performance))
            .filter(campaign::Column::Id.eq(campaign_id.as_uuid()))
            .filter(campaign::Column::OrgId.eq(org.as_uuid()))
            .exec(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(totals)
    }

    async fn list(
        &self,
        org: OrgId,
        campaign_id: CampaignId,
    ) -> StorageResult<(Vec<ResultRecord>, ResultTotals)> {
        use campaign_result::Column as R;
        let txn = self.scope.begin(org).await?;
        ensure_campaign(&txn, org, campaign_id).await?;
        let rows = campaign_result::Entity::find()
            .filter(R::CampaignId.eq(campaign_id.as_uuid()))
            .filter(R::OrgId.eq(org.as_uuid()))
            .order_by_asc(R::Date)
            .order_by_asc(R::Channel)
            // Records without an asset first on both engines (they sort NULLs differently).
            .order_by(Expr::col(R::AssetId).is_not_null(), Order::Asc)
            .order_by_asc(R::AssetId)
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        let records = rows
            .into_iter()
            .map(record_to_domain)
            .collect::<StorageResult<Vec<_>>>()?;
        let totals = ResultTotals::of(&records);
        Ok((records, totals))
    }

    async fn history(
        &self,
        org: OrgId,
        exclude: Option<CampaignId>,
    ) -> StorageResult<Vec<ChannelOutcome>> {
        let txn = self.scope.begin(org).await?;
        let rows = if self.scope.is_postgres() {
            history_postgres(&txn, org, exclude).await?
        } else {
            self.ensure_member(&txn, org).await?;
            history_sqlite(&txn, org, exclude).await?
        };
        txn.commit().await.db()?;
        Ok(rows)
    }

    async fn history_revision(&self, org: OrgId) -> StorageResult<(i64, i64)> {
        let txn = self.scope.begin(org).await?;
        let row = if self.scope.is_postgres() {
            txn.query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT revision, units FROM ame_prediction_history_revision($1)",
                [org.as_uuid().into()],
            ))
            .await
            .map_err(history_error)?
        } else {
            self.ensure_member(&txn, org).await?;
            txn.query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT COALESCE(MAX(revision), 0) AS revision, COUNT(*) AS units \
                 FROM campaign_channel_totals",
            ))
            .await
            .db()?
        };
        let row = row.ok_or_else(|| StorageError::Database("no history revision".into()))?;
        let revision = (
            row.try_get_by_index::<i64>(0).db()?,
            row.try_get_by_index::<i64>(1).db()?,
        );
        txn.commit().await.db()?;
        Ok(revision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_total_limit_is_numeric_16_2() {
        assert_eq!(MAX_TOTAL_AMOUNT.to_string(), "99999999999999.99");
    }

    #[test]
    fn group_keys_are_stable_distinct_and_not_the_id() {
        let (a, b) = (OrgId::new(), OrgId::new());
        assert_eq!(org_group(a), org_group(a));
        assert_ne!(org_group(a), org_group(b));
        assert_ne!(org_group(a), a.as_uuid());
        // The same UUID as a campaign id gets another key.
        let same = CampaignId::from_uuid(a.as_uuid());
        assert_ne!(campaign_group(same), org_group(a));
        assert_ne!(campaign_group(same), same.as_uuid());
    }

    #[test]
    fn placeholders_follow_the_backend() {
        assert_eq!(placeholders(DbBackend::Postgres, 3, 2), "$3, $4");
        assert_eq!(placeholders(DbBackend::Sqlite, 3, 2), "?, ?");
    }
}
