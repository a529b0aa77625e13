//! What is held about one contact, read for its export, and the landing-page leads that carry
//! its address (which erasure removes).

use crate::StorageResult;
use crate::entity::{
    audit_event, consent_event, delivery, lead, opt_in_request, outcome, tracking_event,
};
use crate::error::DbResultExt;
use crate::scope::parse_stored;
use ame_domain::{
    AssetId, CampaignId, Consent, ConsentChange, Contact, ContactEvent, ContactExport, ContactId,
    ContactOutcome, Delivery, Lead, OrgId, SignUpRecord, TrackingKind,
};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Value;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QueryOrder,
};

/// The records of one contact, each oldest first.
pub(crate) struct Records {
    pub deliveries: Vec<Delivery>,
    pub events: Vec<ContactEvent>,
    pub outcomes: Vec<ContactOutcome>,
    pub leads: Vec<Lead>,
    pub sign_ups: Vec<SignUpRecord>,
    pub consent_changes: Vec<ConsentChange>,
}

impl Records {
    /// The export of `contact` made at `now` from these records.
    pub(crate) fn into_export(self, contact: Contact, now: DateTime<Utc>) -> ContactExport {
        let mut changes = self.consent_changes;
        changes.push(ConsentChange {
            consent: contact.consent,
            source: contact.consent_source.clone(),
            form: None,
            at: contact.consent_at,
        });
        ContactExport {
            exported_at: now,
            consent_history: ame_domain::consent_history(changes),
            contact,
            deliveries: self.deliveries,
            events: self.events,
            outcomes: self.outcomes,
            leads: self.leads,
            sign_ups: self.sign_ups,
        }
    }
}

/// Reads every record of `contact`; `email_key` (its lower-cased address, `None` once erased)
/// finds the landing-page leads it submitted, and `address_hash` (a keyed hash of it) the
/// sign-ups that asked it to confirm.
pub(crate) async fn load(
    txn: &DatabaseTransaction,
    org: OrgId,
    contact: ContactId,
    email_key: Option<&str>,
    address_hash: Option<&str>,
) -> StorageResult<Records> {
    let deliveries = delivery::Entity::find()
        .filter(delivery::Column::OrgId.eq(org.as_uuid()))
        .filter(delivery::Column::ContactId.eq(contact.as_uuid()))
        .order_by_asc(delivery::Column::DueAt)
        .order_by_asc(delivery::Column::Step)
        .all(txn)
        .await
        .db()?
        .into_iter()
        .map(crate::ledger::delivery_to_domain)
        .collect::<StorageResult<Vec<_>>>()?;
    let mut consent_changes = Vec::new();
    let mut events = Vec::new();
    for m in tracking_event::Entity::find()
        .filter(tracking_event::Column::OrgId.eq(org.as_uuid()))
        .filter(tracking_event::Column::ContactId.eq(contact.as_uuid()))
        .order_by_asc(tracking_event::Column::OccurredAt)
        .all(txn)
        .await
        .db()?
    {
        let kind: TrackingKind = parse_stored("tracking kind", &m.kind)?;
        let consent = match kind {
            TrackingKind::Unsubscribe => Some((Consent::Unsubscribed, "unsubscribe_link")),
            TrackingKind::Bounce => Some((Consent::Bounced, "bounce_report")),
            TrackingKind::Complaint => Some((Consent::Complained, "complaint_report")),
            _ => None,
        };
        if let Some((consent, source)) = consent {
            consent_changes.push(ConsentChange {
                consent,
                source: source.to_owned(),
                form: None,
                at: m.occurred_at,
            });
        }
        events.push(ContactEvent {
            campaign_id: CampaignId::from_uuid(m.campaign_id),
            asset_id: m.asset_id.map(AssetId::from_uuid),
            kind,
            channel: parse_stored("channel", &m.channel)?,
            value: m.value.map(|v| v.normalize().to_string()),
            occurred_at: m.occurred_at,
        });
    }
    let outcomes = outcome::Entity::find()
        .filter(outcome::Column::OrgId.eq(org.as_uuid()))
        .filter(outcome::Column::ContactId.eq(contact.as_uuid()))
        .order_by_asc(outcome::Column::UpdatedAt)
        .all(txn)
        .await
        .db()?
        .into_iter()
        .map(|m| {
            Ok(ContactOutcome {
                campaign_id: CampaignId::from_uuid(m.campaign_id),
                group: parse_stored("group", &m.grp)?,
                delivered: m.delivered,
                clicked: m.clicked,
                converted: m.converted,
                value: m.value.map(|v| v.normalize().to_string()),
                updated_at: m.updated_at,
            })
        })
        .collect::<StorageResult<Vec<_>>>()?;
    let logged = consent_event::Entity::find()
        .filter(consent_event::Column::OrgId.eq(org.as_uuid()))
        .filter(consent_event::Column::ContactId.eq(contact.as_uuid()))
        .order_by_asc(consent_event::Column::At)
        .all(txn)
        .await
        .db()?
        .into_iter()
        .map(|m| {
            Ok(ConsentChange {
                consent: parse_stored("consent", &m.consent)?,
                source: m.source,
                form: m.form,
                at: m.at,
            })
        })
        .collect::<StorageResult<Vec<_>>>()?;
    if logged.is_empty() {
        // A contact from before the consent log: what the audit log recorded is added to what
        // its tracked events tell.
        for m in audit_event::Entity::find()
            .filter(audit_event::Column::OrgId.eq(org.as_uuid()))
            .filter(audit_event::Column::TargetId.eq(contact.as_uuid()))
            .filter(audit_event::Column::Action.eq("contact.consent_set"))
            .all(txn)
            .await
            .db()?
        {
            if let Some(consent) = m.details["consent"].as_str() {
                consent_changes.push(ConsentChange {
                    consent: parse_stored("consent", consent)?,
                    source: "api".to_owned(),
                    form: None,
                    at: m.at,
                });
            }
        }
    } else {
        consent_changes = logged;
    }
    let leads = match email_key {
        Some(key) => lead::Entity::find()
            .filter(lead::Column::Id.is_in(lead_ids(txn, org, key).await?))
            .order_by_asc(lead::Column::CreatedAt)
            .all(txn)
            .await
            .db()?
            .into_iter()
            .map(|m| Lead {
                id: m.id,
                campaign_id: CampaignId::from_uuid(m.campaign_id),
                fields: m.fields,
                created_at: m.created_at,
            })
            .collect(),
        None => Vec::new(),
    };
    let sign_ups = match address_hash {
        Some(hash) => opt_in_request::Entity::find()
            .filter(opt_in_request::Column::OrgId.eq(org.as_uuid()))
            .filter(opt_in_request::Column::AddressHash.eq(hash))
            .order_by_asc(opt_in_request::Column::RequestedAt)
            .all(txn)
            .await
            .db()?
            .into_iter()
            .map(|m| SignUpRecord {
                campaign_id: CampaignId::from_uuid(m.campaign_id),
                page_slug: m.page_slug,
                requested_at: m.requested_at,
                expires_at: m.expires_at,
                confirmed_at: m.confirmed_at,
                message_id: m.message_id,
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(Records {
        deliveries,
        events,
        outcomes,
        leads,
        sign_ups,
        consent_changes,
    })
}

/// The ids of the organization's landing-page leads whose `email` field is `email_key`
/// (compared case-insensitively).
pub(crate) async fn lead_ids(
    txn: &DatabaseTransaction,
    org: OrgId,
    email_key: &str,
) -> StorageResult<Vec<uuid::Uuid>> {
    let backend = txn.get_database_backend();
    let email = match backend {
        DbBackend::Postgres => "fields->>'email'",
        _ => "json_extract(fields, '$.email')",
    };
    let rows = txn
        .query_all_raw(crate::queue::statement(
            backend,
            &format!("SELECT id FROM landing_page_leads WHERE org_id = ? AND lower({email}) = ?"),
            vec![
                Value::from(org.as_uuid()),
                Value::from(email_key.to_owned()),
            ],
        ))
        .await
        .db()?;
    rows.iter()
        .map(|row| row.try_get_by_index::<uuid::Uuid>(0).db())
        .collect()
}

/// Deletes the organization's landing-page leads submitted with `email_key`.
pub(crate) async fn delete_leads(
    txn: &DatabaseTransaction,
    org: OrgId,
    email_key: &str,
) -> StorageResult<()> {
    let ids = lead_ids(txn, org, email_key).await?;
    if !ids.is_empty() {
        lead::Entity::delete_many()
            .filter(lead::Column::OrgId.eq(org.as_uuid()))
            .filter(lead::Column::Id.is_in(ids))
            .exec(txn)
            .await
            .db()?;
    }
    Ok(())
}
