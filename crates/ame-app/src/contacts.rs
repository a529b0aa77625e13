//! Contacts and segments: the bulk upsert, listing, one contact's read, change and erasure,
//! saved segments, and the streamed CSV import for large lists.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use ame_domain::{
    Consent, Contact, ContactExport, ContactFilter, ContactId, ContactPatch, FieldError,
    NewContact, NewSegment, OrgId, Page, PageRequest, Segment, SegmentId, UpsertSummary,
    ValidContact, validate_contacts,
};
use serde::Serialize;
use serde_json::{Map, Value};
use std::path::Path;

/// Most row errors an import reports.
pub const MAX_IMPORT_ERRORS: usize = 50;
/// Rows written per transaction by an import.
const IMPORT_CHUNK: usize = 1000;

/// What an import did, or why it wrote nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// Data rows read.
    pub rows: u64,
    /// Contacts created.
    pub created: u64,
    /// Contacts updated.
    pub updated: u64,
    /// Contacts who stayed unsubscribed, bounced or complained.
    pub kept_suppressed: u64,
    /// Row errors (at most [`MAX_IMPORT_ERRORS`]); when any, nothing was written.
    pub errors: Vec<FieldError>,
}

/// Opens an import file as CSV and reads its header row, which must name an `email` column
/// (`other_columns` says what else it may hold, for the error).
pub(crate) fn open_email_csv(
    path: &Path,
    other_columns: &str,
) -> AppResult<(csv::Reader<std::fs::File>, csv::StringRecord)> {
    let file_error = |message: String| AppError::Validation(vec![FieldError::new("file", message)]);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .flexible(false)
        .from_path(path)
        .map_err(|e| file_error(format!("cannot be read as CSV: {e}")))?;
    let headers = reader
        .headers()
        .map_err(|e| file_error(format!("has no header row: {e}")))?
        .clone();
    if !headers.iter().any(|h| h == "email") {
        return Err(file_error(format!(
            "needs an `email` column; other columns: {other_columns}"
        )));
    }
    Ok((reader, headers))
}

/// Reads one CSV record as a contact: `email`, `first_name`, `time_zone`, `locale`, `consent`;
/// every other column is an attribute (numbers and `true`/`false` typed, empty cells left out).
fn contact_from_row(
    headers: &csv::StringRecord,
    row: &csv::StringRecord,
) -> Result<NewContact, String> {
    let mut contact = NewContact::default();
    let mut attributes = Map::new();
    for (name, value) in headers.iter().zip(row.iter()) {
        let value = value.trim();
        match name.trim() {
            "email" => contact.email = value.to_owned(),
            "first_name" if !value.is_empty() => contact.first_name = Some(value.to_owned()),
            "time_zone" if !value.is_empty() => contact.time_zone = Some(value.to_owned()),
            "locale" if !value.is_empty() => contact.locale = Some(value.to_owned()),
            "consent" if !value.is_empty() => {
                contact.consent = Some(value.parse::<Consent>().map_err(|e| e.to_string())?)
            }
            "first_name" | "time_zone" | "locale" | "consent" => {}
            other if !value.is_empty() => {
                let typed = match value {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    v => v
                        .parse::<i64>()
                        .map(Value::from)
                        .or_else(|_| {
                            v.parse::<f64>()
                                .ok()
                                .filter(|f| f.is_finite())
                                .map(Value::from)
                                .ok_or(())
                        })
                        .unwrap_or_else(|_| Value::String(v.to_owned())),
                };
                attributes.insert(other.to_owned(), typed);
            }
            _ => {}
        }
    }
    if !attributes.is_empty() {
        contact.attributes = Some(attributes);
    }
    Ok(contact)
}

impl Engine {
    /// Creates or updates 1 to 1,000 contacts by address, all or nothing.
    pub async fn upsert_contacts(
        &self,
        caller: &Caller,
        contacts: Vec<NewContact>,
    ) -> AppResult<UpsertSummary> {
        caller.require_write()?;
        let valid = validate_contacts(&contacts)?;
        let repos = self.repos(caller);
        let erased = self
            .erased_among(&repos.contacts, caller.org, &valid)
            .await?;
        Ok(repos
            .contacts
            .upsert(caller.org, valid, "api", self.now(), erased)
            .await?)
    }

    /// The address keys among `contacts` that an erasure suppressed (their keyed hashes are on
    /// the organization's erased list).
    pub(crate) async fn erased_among(
        &self,
        contacts: &std::sync::Arc<dyn ame_storage::ContactRepository>,
        org: ame_domain::OrgId,
        valid: &[ValidContact],
    ) -> AppResult<std::collections::HashSet<String>> {
        let signer = &self.execution().signer;
        let by_hash: std::collections::HashMap<String, &str> = valid
            .iter()
            .map(|c| (signer.address_hash(&c.email_key), c.email_key.as_str()))
            .collect();
        let found = contacts
            .erased_addresses(org, by_hash.keys().cloned().collect())
            .await?;
        Ok(found
            .iter()
            .filter_map(|h| by_hash.get(h).map(|k| (*k).to_owned()))
            .collect())
    }

    /// Contacts newest first.
    pub async fn contacts(
        &self,
        caller: &Caller,
        filter: ContactFilter,
        page: PageRequest,
    ) -> AppResult<Page<Contact>> {
        Ok(self
            .repos(caller)
            .contacts
            .list(caller.org, filter, page)
            .await?)
    }

    /// One contact; an erased contact is gone (`NotFound`), though its ledger keeps a
    /// nameless record of what was sent.
    pub async fn contact(&self, caller: &Caller, id: ContactId) -> AppResult<Contact> {
        let contact = self.repos(caller).contacts.get(caller.org, id).await?;
        if contact.erased_at.is_some() {
            return Err(AppError::NotFound { entity: "contact" });
        }
        Ok(contact)
    }

    /// Changes one contact.
    pub async fn patch_contact(
        &self,
        caller: &Caller,
        id: ContactId,
        patch: ContactPatch,
    ) -> AppResult<Contact> {
        caller.require_write()?;
        patch.validate()?;
        let consent = patch.consent;
        let changed = self
            .repos(caller)
            .contacts
            .patch(caller.org, id, patch, self.now())
            .await?;
        if let Some(consent) = consent {
            self.audit(
                caller,
                crate::audit::Happened {
                    action: "contact.consent_set",
                    target_kind: "contact",
                    target_id: Some(id.as_uuid()),
                    details: serde_json::json!({"consent": consent}),
                },
            )
            .await;
        }
        Ok(changed)
    }

    /// Everything held about a contact, an erased one too, and the keyed hash of its address
    /// (which finds the sign-ups that asked it to confirm; `None` once erased).
    async fn held_about(
        &self,
        caller: &Caller,
        id: ContactId,
    ) -> AppResult<(ContactExport, Option<String>)> {
        let contacts = self.repos(caller).contacts;
        let contact = contacts.get(caller.org, id).await?;
        let hash = contact.email.as_deref().map(|email| {
            self.execution()
                .signer
                .address_hash(&email.to_ascii_lowercase())
        });
        let held = contacts
            .export(caller.org, id, self.now(), hash.clone())
            .await?;
        Ok((held, hash))
    }

    /// Erases a contact's personal data (its planned messages are not sent, the landing-page
    /// forms it submitted are deleted, the outbox copies of its messages and confirmation
    /// requests are removed); a keyed hash of its address is kept so the address is never
    /// subscribed again by an upsert or import. Erasing again finishes what a failed erasure
    /// left.
    pub async fn erase_contact(&self, caller: &Caller, id: ContactId) -> AppResult<()> {
        caller.require_write()?;
        let (held, hash) = self.held_about(caller, id).await?;
        self.repos(caller)
            .contacts
            .erase(caller.org, id, self.now(), hash)
            .await?;
        let message_ids = held
            .deliveries
            .iter()
            .map(|d| &d.message_id)
            .chain(held.sign_ups.iter().map(|s| &s.message_id));
        let mut removed = 0;
        for message_id in message_ids {
            self.blobs()
                .delete(&crate::execution::OutboxMailer::key(message_id))
                .await?;
            removed += 1;
        }
        self.audit(
            caller,
            crate::audit::Happened {
                action: "contact.erased",
                target_kind: "contact",
                target_id: Some(id.as_uuid()),
                details: serde_json::json!({"messages": removed}),
            },
        )
        .await;
        Ok(())
    }

    /// Everything held about a contact (profile, consent history, messages, tracked events,
    /// outcomes, landing-page forms, sign-ups), for its right of access and portability;
    /// audited. An erased contact is gone (`NotFound`).
    pub async fn export_contact(&self, caller: &Caller, id: ContactId) -> AppResult<ContactExport> {
        let (export, _) = self.held_about(caller, id).await?;
        if export.contact.erased_at.is_some() {
            return Err(AppError::NotFound { entity: "contact" });
        }
        self.audit(
            caller,
            crate::audit::Happened {
                action: "contact.exported",
                target_kind: "contact",
                target_id: Some(id.as_uuid()),
                details: serde_json::json!({}),
            },
        )
        .await;
        Ok(export)
    }

    /// Saves a segment.
    pub async fn create_segment(&self, caller: &Caller, segment: NewSegment) -> AppResult<Segment> {
        caller.require_write()?;
        let segment = segment.validate()?;
        Ok(self
            .repos(caller)
            .contacts
            .create_segment(caller.org, segment, self.now())
            .await?)
    }

    /// The organization's segments, newest first.
    pub async fn segments(&self, caller: &Caller) -> AppResult<Vec<Segment>> {
        Ok(self
            .repos(caller)
            .contacts
            .list_segments(caller.org)
            .await?)
    }

    /// One segment.
    pub async fn segment(&self, caller: &Caller, id: SegmentId) -> AppResult<Segment> {
        Ok(self
            .repos(caller)
            .contacts
            .get_segment(caller.org, id)
            .await?)
    }

    /// Imports a CSV file of contacts into `org` (the command line): a first streamed pass
    /// checks every row and writes nothing if any is wrong; a second streamed pass writes them
    /// a thousand at a time. Memory stays flat whatever the file's size.
    pub async fn import_contacts_file(&self, org: OrgId, path: &Path) -> AppResult<ImportReport> {
        const COLUMNS: &str = "first_name, time_zone, locale, consent, and any attribute";
        let mut report = ImportReport::default();
        let (mut reader, headers) = open_email_csv(path, COLUMNS)?;
        let mut seen = std::collections::HashSet::new();
        for (i, row) in reader.records().enumerate() {
            report.rows += 1;
            let line = i + 2;
            let checked = row
                .map_err(|e| {
                    vec![FieldError::new(
                        format!("line {line}"),
                        format!("is not valid CSV: {e}"),
                    )]
                })
                .and_then(|row| {
                    contact_from_row(&headers, &row)
                        .map_err(|e| vec![FieldError::new(format!("line {line}.consent"), e)])
                })
                .and_then(|c| c.validate_as(&format!("line {line}.")));
            match checked {
                Ok(valid) => {
                    // Keys of every row so far: 8 bytes each, not the rows themselves.
                    let key = {
                        use std::hash::{Hash, Hasher};
                        let mut h = std::collections::hash_map::DefaultHasher::new();
                        valid.email_key.hash(&mut h);
                        h.finish()
                    };
                    if !seen.insert(key) && report.errors.len() < MAX_IMPORT_ERRORS {
                        report.errors.push(FieldError::new(
                            format!("line {line}.email"),
                            "repeats an address of an earlier line",
                        ));
                    }
                }
                Err(errors) => {
                    for e in errors {
                        if report.errors.len() < MAX_IMPORT_ERRORS {
                            report.errors.push(e);
                        }
                    }
                }
            }
        }
        if !report.errors.is_empty() || report.rows == 0 {
            if report.rows == 0 {
                report
                    .errors
                    .push(FieldError::new("file", "has no data rows"));
            }
            return Ok(report);
        }
        let contacts = self.service_repos().contacts;
        let (mut reader, _) = open_email_csv(path, COLUMNS)?;
        let mut chunk: Vec<ValidContact> = Vec::with_capacity(IMPORT_CHUNK);
        for row in reader.records() {
            let row = row.map_err(|e| {
                AppError::Internal(format!("the file changed while importing: {e}"))
            })?;
            let valid = contact_from_row(&headers, &row)
                .ok()
                .and_then(|c| c.validate_as("").ok())
                .ok_or_else(|| AppError::Internal("the file changed while importing".into()))?;
            chunk.push(valid);
            if chunk.len() == IMPORT_CHUNK {
                let erased = self.erased_among(&contacts, org, &chunk).await?;
                let done = contacts
                    .upsert(
                        org,
                        std::mem::take(&mut chunk),
                        "import",
                        self.now(),
                        erased,
                    )
                    .await?;
                report.created += done.created;
                report.updated += done.updated;
                report.kept_suppressed += done.kept_suppressed;
            }
        }
        if !chunk.is_empty() {
            let erased = self.erased_among(&contacts, org, &chunk).await?;
            let done = contacts
                .upsert(org, chunk, "import", self.now(), erased)
                .await?;
            report.created += done.created;
            report.updated += done.updated;
            report.kept_suppressed += done.kept_suppressed;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_become_fields_and_typed_attributes() {
        let headers = csv::StringRecord::from(vec![
            "email",
            "first_name",
            "seats",
            "vip",
            "plan",
            "time_zone",
        ]);
        let row = csv::StringRecord::from(vec!["ada@example.com", "Ada", "12", "true", "pro", ""]);
        let contact = contact_from_row(&headers, &row).unwrap();
        assert_eq!(contact.first_name.as_deref(), Some("Ada"));
        assert_eq!(contact.time_zone, None);
        let a = contact.attributes.unwrap();
        assert_eq!(a["seats"], serde_json::json!(12));
        assert_eq!(a["vip"], serde_json::json!(true));
        assert_eq!(a["plan"], serde_json::json!("pro"));
        let bad = csv::StringRecord::from(vec!["consent"]);
        assert!(contact_from_row(&bad, &csv::StringRecord::from(vec!["maybe"])).is_err());
    }
}
