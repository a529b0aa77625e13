//! The predictor's history read: every organization's channel totals under opaque keys of the
//! organization and the campaign, never their ids.

use super::*;

/// PostgreSQL's SQLSTATE for "insufficient privilege", raised by the history functions when the
/// caller is not a member of the organization asking.
const PG_INSUFFICIENT_PRIVILEGE: &str = "42501";

/// One row of the SQLite history: the organization's and the campaign's group keys, whether it
/// is the asking organization, campaign type, channel, records, the four counts, and spend and
/// revenue in cents.
type HistoryRow = (
    Uuid,
    Uuid,
    bool,
    CampaignType,
    Channel,
    u32,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// The opaque key under which `org`'s outcomes appear in [`ResultRepository::history`]: the
/// first 16 bytes of a SHA-256 hash of its id, never the id itself.
pub fn org_group(org: OrgId) -> Uuid {
    opaque_key(b"ame_org_group:", org.as_uuid())
}

/// The opaque key shared by the outcomes (channels) of `campaign` in
/// [`ResultRepository::history`]: the first 16 bytes of a SHA-256 hash of its id.
pub fn campaign_group(campaign: CampaignId) -> Uuid {
    opaque_key(b"ame_campaign_group:", campaign.as_uuid())
}

fn opaque_key(label: &[u8], id: Uuid) -> Uuid {
    let digest = Sha256::new()
        .chain_update(label)
        .chain_update(id.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// Maps the history functions' "not a member" refusal to `NotFound`.
pub(super) fn history_error(err: DbErr) -> StorageError {
    if let DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
    | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e)) = &err
        && let sea_orm::sqlx::Error::Database(db) = e.as_ref()
        && db.code().as_deref() == Some(PG_INSUFFICIENT_PRIVILEGE)
    {
        return StorageError::not_found("organization");
    }
    from_db(err)
}

/// The history on PostgreSQL, through `ame_prediction_history`; amounts as whole cents.
pub(super) async fn history_postgres(
    txn: &DatabaseTransaction,
    org: OrgId,
    exclude: Option<CampaignId>,
) -> StorageResult<Vec<ChannelOutcome>> {
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT org_group, campaign_group, own_org, campaign_type, channel, records, reach, \
             clicks, leads, conversions, (spend * 100)::bigint, (revenue * 100)::bigint \
             FROM ame_prediction_history($1, $2)",
            [org.as_uuid().into(), exclude.map(|c| c.as_uuid()).into()],
        ))
        .await
        .map_err(history_error)?;
    rows.iter()
        .map(|row| {
            let campaign_type: String = row.try_get_by_index(3).db()?;
            let channel: String = row.try_get_by_index(4).db()?;
            let records: i32 = row.try_get_by_index(5).db()?;
            Ok(ChannelOutcome {
                org_group: row.try_get_by_index(0).db()?,
                campaign_group: row.try_get_by_index(1).db()?,
                own_org: row.try_get_by_index(2).db()?,
                campaign_type: parse_stored("campaign_type", &campaign_type)?,
                channel: parse_stored("channel", &channel)?,
                records: u32::try_from(records).unwrap_or_default(),
                metrics: metrics_from(row, 6)?,
            })
        })
        .collect()
}

/// The history on SQLite, built by SQLite as one JSON array of rows: handing over one value is
/// about three times faster than streaming thousands of rows from the driver's worker thread.
/// Amounts travel as whole cents.
pub(super) async fn history_sqlite(
    txn: &DatabaseTransaction,
    org: OrgId,
    exclude: Option<CampaignId>,
) -> StorageResult<Vec<ChannelOutcome>> {
    let exclude = Value::from(exclude.map(|c| c.as_uuid()));
    let text: String = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT json_group_array(json_array(hex(org_group), hex(campaign_group), \
             json(iif(org_id = ?, 'true', 'false')), campaign_type, channel, records, reach, \
             clicks, leads, conversions, CAST(ROUND(spend * 100) AS INTEGER), \
             CAST(ROUND(revenue * 100) AS INTEGER))) FROM campaign_channel_totals \
             WHERE ? IS NULL OR campaign_id <> ?",
            [org.as_uuid().into(), exclude.clone(), exclude],
        ))
        .await
        .db()?
        .ok_or_else(|| StorageError::Database("the history query returned no row".into()))?
        .try_get_by_index(0)
        .db()?;
    let rows: Vec<HistoryRow> = serde_json::from_str(&text)
        .map_err(|e| StorageError::Database(format!("unexpected history row: {e}")))?;
    Ok(rows
        .into_iter()
        .map(
            |(
                org_group,
                campaign_group,
                own_org,
                campaign_type,
                channel,
                records,
                reach,
                clicks,
                leads,
                conversions,
                spend,
                revenue,
            )| ChannelOutcome {
                org_group,
                campaign_group,
                own_org,
                campaign_type,
                channel,
                records,
                metrics: FunnelMetrics {
                    reach,
                    clicks,
                    leads,
                    conversions,
                    spend: from_cents(spend),
                    revenue: from_cents(revenue),
                },
            },
        )
        .collect())
}
