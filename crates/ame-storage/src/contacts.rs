//! Contacts and segments stored through sea-orm.

use crate::entity::contact::{self, Column};
use crate::error::DbResultExt;
use crate::queue::micros;
use crate::scope::{Scope, parse_stored};
use crate::{StorageError, StorageResult};
use ame_domain::{
    Consent, Contact, ContactExport, ContactFilter, ContactId, ContactPatch, Cursor,
    NewOptInRequest, NewSegment, OptInConfirmation, OptInRequest, OrgId, Page, PageRequest,
    Segment, SegmentId, UpsertSummary, ValidContact,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

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
    /// Everything held about one contact (an erased one too), as of `now`; `address_hash` (a
    /// keyed hash of its address) finds the sign-ups that asked it to confirm.
    async fn export(
        &self,
        org: OrgId,
        id: ContactId,
        now: DateTime<Utc>,
        address_hash: Option<String>,
    ) -> StorageResult<ContactExport>;
    /// Erases a contact's personal data and the landing-page leads it submitted, keeping its
    /// id (so counts stay whole); its consent
    /// becomes `unsubscribed`, and `address_hash` (a keyed hash of its address) joins the
    /// organization's erased addresses so the address is never subscribed again by an upsert.
    async fn erase(
        &self,
        org: OrgId,
        id: ContactId,
        now: DateTime<Utc>,
        address_hash: Option<String>,
    ) -> StorageResult<()>;
    /// Records a landing-page sign-up that waits for its owner's confirmation.
    async fn request_opt_in(
        &self,
        org: OrgId,
        request: NewOptInRequest,
    ) -> StorageResult<OptInRequest>;
    /// One sign-up waiting for (or given) its confirmation.
    async fn opt_in_request(&self, org: OrgId, id: uuid::Uuid) -> StorageResult<OptInRequest>;
    /// Confirms a sign-up: its address becomes a subscribed contact (whatever it was before,
    /// an erasure's suppression included), unless the request expired or was confirmed.
    async fn confirm_opt_in(
        &self,
        org: OrgId,
        id: uuid::Uuid,
        now: DateTime<Utc>,
    ) -> StorageResult<OptInConfirmation>;
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
        crate::contacts_upsert::upsert(&self.scope, org, contacts, source, now, erased).await
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
        if email.contains('\0') {
            return Ok(None);
        }
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
        // Attribute filters are decided here, so both engines read JSON alike; the scan walks
        // the (org_id, created_at, id) index a batch at a time. On PostgreSQL the attribute is
        // also narrowed in SQL by containment, which the GIN index on `attributes` answers
        // (containment is never stricter than equality, so nothing that matches is missed).
        let contains = match (&filter.attribute, self.scope.is_postgres()) {
            (Some((name, value)), true) => Some(serde_json::json!({ name.clone(): value.clone() })),
            _ => None,
        };
        let mut has_more = false;
        'scan: loop {
            let mut query = contact::Entity::find().filter(Column::OrgId.eq(org.as_uuid()));
            if let Some(consent) = filter.consent {
                query = query.filter(Column::Consent.eq(consent.as_str()));
            }
            if let Some(contains) = &contains {
                query = query.filter(Expr::cust_with_values(
                    "attributes @> CAST($1 AS jsonb)",
                    [contains.to_string()],
                ));
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
            crate::consent_log::record_one(&txn, org, current.id, c, "api", now).await?;
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
        if changed.rows_affected == 1 {
            crate::consent_log::record_one(&txn, org, id.as_uuid(), consent, source, now).await?;
        }
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

    async fn export(
        &self,
        org: OrgId,
        id: ContactId,
        now: DateTime<Utc>,
        address_hash: Option<String>,
    ) -> StorageResult<ContactExport> {
        let txn = self.scope.begin(org).await?;
        let found = find(&txn, org, id).await?;
        let records = crate::contact_records::load(
            &txn,
            org,
            id,
            found.email_key.as_deref(),
            address_hash.as_deref(),
        )
        .await?;
        txn.commit().await.db()?;
        Ok(records.into_export(to_domain(found)?, now))
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
        let found = find(&txn, org, id).await?;
        if let Some(key) = found.email_key.as_deref() {
            crate::contact_records::delete_leads(&txn, org, key).await?;
        }
        if let Some(hash) = address_hash {
            txn.execute_raw(crate::queue::statement(
                backend,
                "INSERT INTO erased_addresses (org_id, address_hash, erased_at) VALUES (?, ?, ?) \
                 ON CONFLICT (org_id, address_hash) DO NOTHING",
                vec![org.as_uuid().into(), hash.clone().into(), now.into()],
            ))
            .await
            .db()?;
            // Sign-ups still waiting for confirmation forget the address (and cannot confirm).
            txn.execute_raw(crate::queue::statement(
                backend,
                "UPDATE opt_in_requests SET email = NULL, first_name = NULL \
                 WHERE org_id = ? AND address_hash = ?",
                vec![org.as_uuid().into(), hash.into()],
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
        crate::consent_log::record_one(
            &txn,
            org,
            id.as_uuid(),
            Consent::Unsubscribed,
            "erasure",
            now,
        )
        .await?;
        txn.commit().await.db()?;
        Ok(())
    }

    async fn request_opt_in(
        &self,
        org: OrgId,
        request: NewOptInRequest,
    ) -> StorageResult<OptInRequest> {
        crate::opt_in::request(&self.scope, org, request).await
    }

    async fn opt_in_request(&self, org: OrgId, id: uuid::Uuid) -> StorageResult<OptInRequest> {
        crate::opt_in::get(&self.scope, org, id).await
    }

    async fn confirm_opt_in(
        &self,
        org: OrgId,
        id: uuid::Uuid,
        now: DateTime<Utc>,
    ) -> StorageResult<OptInConfirmation> {
        crate::opt_in::confirm(&self.scope, org, id, now).await
    }

    async fn create_segment(
        &self,
        org: OrgId,
        segment: NewSegment,
        now: DateTime<Utc>,
    ) -> StorageResult<Segment> {
        crate::segments::create(&self.scope, org, segment, now).await
    }

    async fn get_segment(&self, org: OrgId, id: SegmentId) -> StorageResult<Segment> {
        crate::segments::get(&self.scope, org, id).await
    }

    async fn list_segments(&self, org: OrgId) -> StorageResult<Vec<Segment>> {
        crate::segments::list(&self.scope, org).await
    }
}
