//! The bulk upsert: contacts created or updated by address in one transaction, never
//! re-subscribing a suppressed contact, each consent change logged.

use crate::StorageResult;
use crate::consent_log::ConsentEvent;
use crate::entity::contact;
use crate::entity::contact::Column;
use crate::error::DbResultExt;
use crate::queue::micros;
use crate::scope::{Scope, parse_stored};
use ame_domain::{Consent, OrgId, UpsertSummary, ValidContact};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// Creates or updates each contact by address, all in one transaction (see
/// [`ContactRepository::upsert`](crate::ContactRepository::upsert)).
pub(super) async fn upsert(
    scope: &Scope,
    org: OrgId,
    contacts: Vec<ValidContact>,
    source: &str,
    now: DateTime<Utc>,
    erased: std::collections::HashSet<String>,
) -> StorageResult<UpsertSummary> {
    let now = micros(now);
    let mut summary = UpsertSummary::default();
    let txn = scope.begin_write(org).await?;
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
    let mut changes: Vec<(uuid::Uuid, Consent, &str)> = Vec::new();
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
                let id = uuid::Uuid::now_v7();
                changes.push((id, consent, source));
                inserts.push(contact::ActiveModel {
                    id: Set(id),
                    org_id: Set(org.as_uuid()),
                    email: Set(Some(c.email)),
                    email_key: Set(Some(c.email_key)),
                    first_name: Set(c.first_name),
                    time_zone: Set(c.time_zone),
                    locale: Set(c.locale),
                    attributes: Set(serde_json::Value::Object(c.attributes.unwrap_or_default())),
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
                    changes.push((current.id, consent, source));
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
    let events = changes
        .into_iter()
        .map(|(contact, consent, source)| ConsentEvent {
            contact,
            consent,
            source,
            form: None,
        })
        .collect();
    crate::consent_log::record(&txn, org, events, now).await?;
    txn.commit().await.db()?;
    Ok(summary)
}
