//! The consent log: each change of a contact's consent, written in the same transaction as the
//! change, so a contact's export shows when and from where its consent became what it is.

use crate::StorageResult;
use crate::entity::consent_event;
use crate::error::DbResultExt;
use ame_domain::{Consent, OrgId};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

/// One change to record.
pub(crate) struct ConsentEvent<'a> {
    /// The contact's id.
    pub contact: uuid::Uuid,
    /// Its consent from then on.
    pub consent: Consent,
    /// Where the change came from (`api`, `import`, `landing_page`, `unsubscribe_link`, …).
    pub source: &'a str,
    /// The page whose form it came through, if any.
    pub form: Option<&'a str>,
}

/// Records `events` of `org`'s contacts at `at`.
pub(crate) async fn record<C: ConnectionTrait>(
    txn: &C,
    org: OrgId,
    events: Vec<ConsentEvent<'_>>,
    at: DateTime<Utc>,
) -> StorageResult<()> {
    for chunk in events.chunks(200) {
        let rows = chunk.iter().map(|e| consent_event::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            org_id: Set(org.as_uuid()),
            contact_id: Set(e.contact),
            consent: Set(e.consent.as_str().to_owned()),
            source: Set(e.source.to_owned()),
            form: Set(e.form.map(str::to_owned)),
            at: Set(at),
        });
        consent_event::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await
            .db()?;
    }
    Ok(())
}

/// Records one change.
pub(crate) async fn record_one<C: ConnectionTrait>(
    txn: &C,
    org: OrgId,
    contact: uuid::Uuid,
    consent: Consent,
    source: &str,
    at: DateTime<Utc>,
) -> StorageResult<()> {
    record(
        txn,
        org,
        vec![ConsentEvent {
            contact,
            consent,
            source,
            form: None,
        }],
        at,
    )
    .await
}
