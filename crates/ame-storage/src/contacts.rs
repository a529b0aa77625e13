//! Contacts and segments stored through sea-orm.

use crate::entity::contact::{self, Column};
use crate::entity::segment;
use crate::error::DbResultExt;
use crate::queue::micros;
use crate::scope::{Scope, parse_stored};
use crate::{StorageError, StorageResult};
use ame_domain::{
    Consent, Contact, ContactFilter, ContactId, ContactPatch, Cursor, NewSegment, OrgId, Page,
    PageRequest, Segment, SegmentId, UpsertSummary, ValidContact,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashMap;

/// Contacts of one organization.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ContactRepository: Send + Sync {
    /// Creates or updates each contact by address, all in one transaction. `source` records
    /// where new consent came from (`api`, `import`, `landing_page`). A new contact whose
    /// address key is in `erased` (an erasure suppressed it) starts `unsubscribed`.
    async fn upsert(
        &self,
        org: OrgId,
        contacts: Vec<ValidContact>,
        source: &str,
        now: DateTime<Utc>,
        erased: std::collections::HashSet<String>,
    ) -> StorageResult<UpsertSummary>;
    /// Which of `hashes` (keyed hashes of address keys) an erasure suppressed.
    async fn erased_addresses(
        &self,
        org: OrgId,
        hashes: Vec<String>,
    ) -> StorageResult<std::collections::HashSet<String>>;
    /// One contact.
    async fn get(&self, org: OrgId, id: ContactId) -> StorageResult<Contact>;
    /// Several contacts by id (missing ones are left out).
    async fn get_many(&self, org: OrgId, ids: Vec<ContactId>) -> StorageResult<Vec<Contact>>;
    /// The contact with this address (compared case-insensitively), if any.
    async fn find_by_email(&self, org: OrgId, email: &str) -> StorageResult<Option<Contact>>;
    /// Contacts newest first, one keyset page at a time, filtered.
    async fn list(
        &self,
        org: OrgId,
        filter: ContactFilter,
        page: PageRequest,
    ) -> StorageResult<Page<Contact>>;
    /// Changes one contact.
    async fn patch(
        &self,
        org: OrgId,
        id: ContactId,
        patch: ContactPatch,
        now: DateTime<Utc>,
    ) -> StorageResult<Contact>;
    /// Sets a contact's consent (an unsubscribe link, a bounce); returns whether it changed.
    async fn set_consent(
        &self,
        org: OrgId,
        id: ContactId,
        consent: Consent,
        source: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<bool>;
    /// Erases a contact's personal data, keeping its id (so counts stay whole); its consent
    /// becomes `unsubscribed`, and `address_hash` (a keyed hash of its address) joins the
    /// organization's erased addresses so the address is never subscribed again by an upsert.
    async fn erase(
        &self,
        org: OrgId,
        id: ContactId,
        now: DateTime<Utc>,
        address_hash: Option<String>,
    ) -> StorageResult<()>;
    /// Creates a segment.
    async fn create_segment(
        &self,
        org: OrgId,
        segment: NewSegment,
        now: DateTime<Utc>,
    ) -> StorageResult<Segment>;
    /// One segment.
    async fn get_segment(&self, org: OrgId, id: SegmentId) -> StorageResult<Segment>;
    /// Every segment, newest first.
    async fn list_segments(&self, org: OrgId) -> StorageResult<Vec<Segment>>;
}

/// Contacts and segments stored through sea-orm (SQLite or PostgreSQL).
#[derive(Debug, Clone)]
pub struct SqlContacts {
    scope: Scope,
}

impl SqlContacts {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }
}

pub(crate) fn to_domain(m: contact::Model) -> StorageResult<Contact> {
    let attributes = match m.attributes {
        serde_json::Value::Object(map) => map,
        _ => {
            return Err(StorageError::Database(
                "contact attributes are not an object".into(),
            ));
        }
    };
    Ok(Contact {
        id: ContactId::from_uuid(m.id),
        org_id: OrgId::from_uuid(m.org_id),
        email: m.email,
        first_name: m.first_name,
        time_zone: m.time_zone,
        locale: m.locale,
        attributes,
        consent: parse_stored("consent", &m.consent)?,
        consent_source: m.consent_source,
        consent_at: m.consent_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
        erased_at: m.erased_at,
    })
}

fn segment_to_domain(m: segment::Model) -> StorageResult<Segment> {
    Ok(Segment {
        id: SegmentId::from_uuid(m.id),
        org_id: OrgId::from_uuid(m.org_id),
        name: m.name,
        filter: serde_json::from_value(m.filter)
            .map_err(|e| StorageError::Database(format!("unexpected segment filter: {e}")))?,
        created_at: m.created_at,
    })
}

async fn find<C: ConnectionTrait>(
    txn: &C,
    org: OrgId,
    id: ContactId,
) -> StorageResult<contact::Model> {
    contact::Entity::find()
        .filter(Column::Id.eq(id.as_uuid()))
        .filter(Column::OrgId.eq(org.as_uuid()))
        .one(txn)
        .await
        .db()?
        .ok_or(StorageError::not_found("contact"))
}

#[async_trait]
impl ContactRepository for SqlContacts {
    async fn upsert(
        &self,
        org: OrgId,
        contacts: Vec<ValidContact>,
        source: &str,
        now: DateTime<Utc>,
        erased: std::collections::HashSet<String>,
    ) -> StorageResult<UpsertSummary> {
        let now = micros(now);
        let mut summary = UpsertSummary::default();
        let txn = self.scope.begin_write(org).await?;
        let mut existing: HashMap<String, contact::Model> = HashMap::new();
        for chunk in contacts.chunks(500) {
            let keys: Vec<String> = chunk.iter().map(|c| c.email_key.clone()).collect();
            for m in contact::Entity::find()
                .filter(Column::OrgId.eq(org.as_uuid()))
                .filter(Column::EmailKey.is_in(keys))
                .all(&txn)
                .await
                .db()?
            {
                if let Some(key) = m.email_key.clone() {
                    existing.insert(key, m);
                }
            }
        }
        let mut inserts = Vec::new();
        for c in contacts {
            match existing.get(&c.email_key) {
                None => {
                    let was_erased = erased.contains(&c.email_key);
                    let consent = if was_erased {
                        summary.kept_suppressed += 1;
                        Consent::Unsubscribed
                    } else {
                        c.consent.unwrap_or(Consent::Subscribed)
                    };
                    let source = if was_erased { "erasure" } else { source };
                    inserts.push(contact::ActiveModel {
                        id: Set(uuid::Uuid::now_v7()),
                        org_id: Set(org.as_uuid()),
                        email: Set(Some(c.email)),
                        email_key: Set(Some(c.email_key)),
                        first_name: Set(c.first_name),
                        time_zone: Set(c.time_zone),
                        locale: Set(c.locale),
                        attributes: Set(serde_json::Value::Object(
                            c.attributes.unwrap_or_default(),
                        )),
                        consent: Set(consent.as_str().to_owned()),
                        consent_source: Set(source.to_owned()),
                        consent_at: Set(now),
                        created_at: Set(now),
                        updated_at: Set(now),
                        erased_at: Set(None),
                    });
                    summary.created += 1;
                }
                Some(current) => {
                    let stored: Consent = parse_stored("consent", &current.consent)?;
                    // A suppressed contact stays suppressed: only an explicit change (PATCH)
                    // may re-subscribe someone who unsubscribed, bounced or complained.
                    let consent = match c.consent {
                        Some(Consent::Subscribed) | None if stored != Consent::Subscribed => {
                            if c.consent.is_some() {
                                summary.kept_suppressed += 1;
                            }
                            stored
                        }
                        Some(new) => new,
                        None => stored,
                    };
                    let mut update = contact::Entity::update_many()
                        .col_expr(Column::Email, Expr::value(c.email))
                        .col_expr(Column::UpdatedAt, Expr::value(now));
                    if let Some(n) = c.first_name {
                        update = update.col_expr(Column::FirstName, Expr::value(n));
                    }
                    if let Some(z) = c.time_zone {
                        update = update.col_expr(Column::TimeZone, Expr::value(z));
                    }
                    if let Some(l) = c.locale {
                        update = update.col_expr(Column::Locale, Expr::value(l));
                    }
                    if let Some(a) = c.attributes {
                        update = update.col_expr(
                            Column::Attributes,
                            Expr::value(serde_json::Value::Object(a)),
                        );
                    }
                    if consent != stored {
                        update = update
                            .col_expr(Column::Consent, Expr::value(consent.as_str()))
                            .col_expr(Column::ConsentSource, Expr::value(source))
                            .col_expr(Column::ConsentAt, Expr::value(now));
                    }
                    update
                        .filter(Column::Id.eq(current.id))
                        .filter(Column::OrgId.eq(org.as_uuid()))
                        .exec(&txn)
                        .await
                        .db()?;
                    summary.updated += 1;
                }
            }
        }
        for chunk in inserts.chunks(200) {
            contact::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await
                .db()?;
        }
        txn.commit().await.db()?;
        Ok(summary)
    }

    async fn get(&self, org: OrgId, id: ContactId) -> StorageResult<Contact> {
        let txn = self.scope.begin(org).await?;
        let found = find(&txn, org, id).await?;
        txn.commit().await.db()?;
        to_domain(found)
    }

    async fn get_many(&self, org: OrgId, ids: Vec<ContactId>) -> StorageResult<Vec<Contact>> {
        let txn = self.scope.begin(org).await?;
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows = contact::Entity::find()
                .filter(Column::OrgId.eq(org.as_uuid()))
                .filter(Column::Id.is_in(chunk.iter().map(|c| c.as_uuid())))
                .all(&txn)
                .await
                .db()?;
            for r in rows {
                out.push(to_domain(r)?);
            }
        }
        txn.commit().await.db()?;
        Ok(out)
    }

    async fn find_by_email(&self, org: OrgId, email: &str) -> StorageResult<Option<Contact>> {
        let txn = self.scope.begin(org).await?;
        let found = contact::Entity::find()
            .filter(Column::OrgId.eq(org.as_uuid()))
            .filter(Column::EmailKey.eq(email.trim().to_ascii_lowercase()))
            .one(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        found.map(to_domain).transpose()
    }

    async fn list(
        &self,
        org: OrgId,
        filter: ContactFilter,
        page: PageRequest,
    ) -> StorageResult<Page<Contact>> {
        let limit = page.limit() as usize;
        let mut after = page.after;
        let mut items = Vec::with_capacity(limit);
        let txn = self.scope.begin(org).await?;
        // Attribute filters are checked here, not in SQL, so both engines read JSON alike;
        // the scan walks the (org_id, created_at, id) index a batch at a time.
        let mut has_more = false;
        'scan: loop {
            let mut query = contact::Entity::find().filter(Column::OrgId.eq(org.as_uuid()));
            if let Some(consent) = filter.consent {
                query = query.filter(Column::Consent.eq(consent.as_str()));
            }
            if let Some(a) = after {
                query = query.filter(
                    Expr::tuple([Expr::col(Column::CreatedAt), Expr::col(Column::Id)])
                        .lt(Expr::tuple([Expr::value(a.created_at), Expr::value(a.id)])),
                );
            }
            let batch = query
                .order_by_desc(Column::CreatedAt)
                .order_by_desc(Column::Id)
                .limit(500)
                .all(&txn)
                .await
                .db()?;
            let exhausted = batch.len() < 500;
            for m in batch {
                after = Some(Cursor {
                    created_at: m.created_at,
                    id: m.id,
                });
                let c = to_domain(m)?;
                if filter.matches(&c) {
                    if items.len() == limit {
                        has_more = true;
                        break 'scan;
                    }
                    items.push(c);
                }
            }
            if exhausted {
                break;
            }
        }
        txn.commit().await.db()?;
        let next_cursor = if has_more {
            items.last().map(|last: &Contact| {
                Cursor {
                    created_at: last.created_at,
                    id: last.id.as_uuid(),
                }
                .encode()
            })
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn patch(
        &self,
        org: OrgId,
        id: ContactId,
        patch: ContactPatch,
        now: DateTime<Utc>,
    ) -> StorageResult<Contact> {
        patch.validate()?;
        let now = micros(now);
        let txn = self.scope.begin_write(org).await?;
        let current = find(&txn, org, id).await?;
        if current.erased_at.is_some() {
            return Err(StorageError::Conflict(
                "this contact was erased; add the person again as a new contact".into(),
            ));
        }
        let mut update =
            contact::Entity::update_many().col_expr(Column::UpdatedAt, Expr::value(now));
        if let Some(n) = patch.first_name {
            update = update.col_expr(
                Column::FirstName,
                Expr::value(n.map(|n| n.trim().to_owned())),
            );
        }
        if let Some(z) = patch.time_zone {
            update = update.col_expr(Column::TimeZone, Expr::value(z));
        }
        if let Some(l) = patch.locale {
            update = update.col_expr(Column::Locale, Expr::value(l));
        }
        if let Some(a) = patch.attributes {
            update = update.col_expr(
                Column::Attributes,
                Expr::value(serde_json::Value::Object(a)),
            );
        }
        if let Some(c) = patch.consent
            && c.as_str() != current.consent
        {
            update = update
                .col_expr(Column::Consent, Expr::value(c.as_str()))
                .col_expr(Column::ConsentSource, Expr::value("api"))
                .col_expr(Column::ConsentAt, Expr::value(now));
        }
        update
            .filter(Column::Id.eq(id.as_uuid()))
            .filter(Column::OrgId.eq(org.as_uuid()))
            .exec(&txn)
            .await
            .db()?;
        let updated = find(&txn, org, id).await?;
        txn.commit().await.db()?;
        to_domain(updated)
    }

    async fn set_consent(
        &self,
        org: OrgId,
        id: ContactId,
        consent: Consent,
        source: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let now = micros(now);
        let txn = self.scope.begin(org).await?;
        let changed = contact::Entity::update_many()
            .col_expr(Column::Consent, Expr::value(consent.as_str()))
            .col_expr(Column::ConsentSource, Expr::value(source))
            .col_expr(Column::ConsentAt, Expr::value(now))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.eq(id.as_uuid()))
            .filter(Column::OrgId.eq(org.as_uuid()))
            .filter(Column::Consent.ne(consent.as_str()))
            .exec(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(changed.rows_affected == 1)
    }

    async fn erased_addresses(
        &self,
        org: OrgId,
        hashes: Vec<String>,
    ) -> StorageResult<std::collections::HashSet<String>> {
        let backend = self.scope.db.get_database_backend();
        let txn = self.scope.begin(org).await?;
        let mut found = std::collections::HashSet::new();
        for chunk in hashes.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut values: Vec<sea_orm::Value> = vec![org.as_uuid().into()];
            values.extend(chunk.iter().map(|h| h.clone().into()));
            let rows = txn
                .query_all_raw(crate::queue::statement(
                    backend,
                    &format!(
                        "SELECT address_hash FROM erased_addresses \
                         WHERE org_id = ? AND address_hash IN ({marks})"
                    ),
                    values,
                ))
                .await
                .db()?;
            for row in rows {
                found.insert(row.try_get_by_index::<String>(0).db()?);
            }
        }
        txn.commit().await.db()?;
        Ok(found)
    }

    async fn erase(
        &self,
        org: OrgId,
        id: ContactId,
        now: DateTime<Utc>,
        address_hash: Option<String>,
    ) -> StorageResult<()> {
        let now = micros(now);
        let backend = self.scope.db.get_database_backend();
        let txn = self.scope.begin_write(org).await?;
        find(&txn, org, id).await?;
        if let Some(hash) = address_hash {
            txn.execute_raw(crate::queue::statement(
                backend,
                "INSERT INTO erased_addresses (org_id, address_hash, erased_at) VALUES (?, ?, ?) \
                 ON CONFLICT (org_id, address_hash) DO NOTHING",
                vec![org.as_uuid().into(), hash.into(), now.into()],
            ))
            .await
            .db()?;
        }
        contact::Entity::update_many()
            .col_expr(Column::Email, Expr::value(None::<String>))
            .col_expr(Column::EmailKey, Expr::value(None::<String>))
            .col_expr(Column::FirstName, Expr::value(None::<String>))
            .col_expr(Column::TimeZone, Expr::value(None::<String>))
            .col_expr(Column::Locale, Expr::value(None::<String>))
            .col_expr(Column::Attributes, Expr::value(serde_json::json!({})))
            .col_expr(Column::Consent, Expr::value(Consent::Unsubscribed.as_str()))
            .col_expr(Column::ConsentSource, Expr::value("erasure"))
            .col_expr(Column::ConsentAt, Expr::value(now))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .col_expr(Column::ErasedAt, Expr::value(now))
            .filter(Column::Id.eq(id.as_uuid()))
            .filter(Column::OrgId.eq(org.as_uuid()))
            .exec(&txn)
            .await
            .db()?;
        crate::ledger::suppress_contact(&txn, org, id, now).await?;
        txn.commit().await.db()?;
        Ok(())
    }

    async fn create_segment(
        &self,
        org: OrgId,
        segment: NewSegment,
        now: DateTime<Utc>,
    ) -> StorageResult<Segment> {
        let segment = segment.validate()?;
        let filter = serde_json::to_value(&segment.filter)
            .map_err(|e| StorageError::Invalid(e.to_string()))?;
        let txn = self.scope.begin_write(org).await?;
        let model = segment::Entity::insert(segment::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            org_id: Set(org.as_uuid()),
            name: Set(segment.name),
            filter: Set(filter),
            created_at: Set(micros(now)),
        })
        .exec_with_returning(&txn)
        .await
        .db()?;
        txn.commit().await.db()?;
        segment_to_domain(model)
    }

    async fn get_segment(&self, org: OrgId, id: SegmentId) -> StorageResult<Segment> {
        let txn = self.scope.begin(org).await?;
        let found = segment::Entity::find()
            .filter(segment::Column::Id.eq(id.as_uuid()))
            .filter(segment::Column::OrgId.eq(org.as_uuid()))
            .one(&txn)
            .await
            .db()?
            .ok_or(StorageError::not_found("segment"))?;
        txn.commit().await.db()?;
        segment_to_domain(found)
    }

    async fn list_segments(&self, org: OrgId) -> StorageResult<Vec<Segment>> {
        let txn = self.scope.begin(org).await?;
        let rows = segment::Entity::find()
            .filter(segment::Column::OrgId.eq(org.as_uuid()))
            .order_by_desc(segment::Column::CreatedAt)
            .order_by_desc(segment::Column::Id)
            .limit(1000)
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        rows.into_iter().map(segment_to_domain).collect()
    }
}
