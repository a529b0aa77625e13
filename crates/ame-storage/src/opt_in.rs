//! Double opt-in requests: recorded when a sign-up must be confirmed, read by the job that
//! sends the confirmation, and confirmed by the address's owner, which subscribes the address
//! whatever it was before (a confirmed opt-in is the one thing that lifts an erasure's or an
//! unsubscribe's suppression).

use crate::entity::contact::{self, Column};
use crate::entity::opt_in_request;
use crate::error::DbResultExt;
use crate::queue::micros;
use crate::scope::Scope;
use crate::{StorageError, StorageResult};
use ame_domain::{
    CampaignId, Consent, ContactId, NewOptInRequest, OPT_IN_VALIDITY, OptInConfirmation,
    OptInRequest, OrgId,
};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// The consent source a confirmed sign-up records.
pub const DOUBLE_OPT_IN: &str = "double_opt_in";

fn to_domain(m: opt_in_request::Model) -> OptInRequest {
    OptInRequest {
        id: m.id,
        org_id: OrgId::from_uuid(m.org_id),
        campaign_id: CampaignId::from_uuid(m.campaign_id),
        page_slug: m.page_slug,
        address_hash: m.address_hash,
        email: m.email,
        first_name: m.first_name,
        message_id: m.message_id,
        requested_at: m.requested_at,
        expires_at: m.expires_at,
        confirmed_at: m.confirmed_at,
        contact_id: m.contact_id.map(ContactId::from_uuid),
    }
}

/// Records a sign-up to confirm, valid for [`OPT_IN_VALIDITY`].
pub(crate) async fn request(
    scope: &Scope,
    org: OrgId,
    new: NewOptInRequest,
) -> StorageResult<OptInRequest> {
    let requested = micros(new.requested_at);
    let row = opt_in_request::ActiveModel {
        id: Set(new.id),
        org_id: Set(org.as_uuid()),
        campaign_id: Set(new.campaign_id.as_uuid()),
        page_slug: Set(new.page_slug),
        address_hash: Set(new.address_hash),
        email: Set(Some(new.email)),
        first_name: Set(new.first_name),
        message_id: Set(new.message_id),
        requested_at: Set(requested),
        expires_at: Set(requested + OPT_IN_VALIDITY),
        confirmed_at: Set(None),
        contact_id: Set(None),
    };
    let txn = scope.begin_write(org).await?;
    opt_in_request::Entity::insert(row)
        .exec_without_returning(&txn)
        .await
        .db()?;
    let stored = find(&txn, org, new.id).await?;
    txn.commit().await.db()?;
    Ok(to_domain(stored))
}

/// One request.
pub(crate) async fn get(scope: &Scope, org: OrgId, id: uuid::Uuid) -> StorageResult<OptInRequest> {
    let txn = scope.begin(org).await?;
    let found = find(&txn, org, id).await?;
    txn.commit().await.db()?;
    Ok(to_domain(found))
}

async fn find<C: ConnectionTrait>(
    txn: &C,
    org: OrgId,
    id: uuid::Uuid,
) -> StorageResult<opt_in_request::Model> {
    opt_in_request::Entity::find()
        .filter(opt_in_request::Column::OrgId.eq(org.as_uuid()))
        .filter(opt_in_request::Column::Id.eq(id))
        .one(txn)
        .await
        .db()?
        .ok_or(StorageError::not_found("confirmation request"))
}

/// Confirms a request, in one transaction: the address becomes (or its contact turns)
/// `subscribed` from `double_opt_in`, its erasure suppression is lifted, and the request keeps
/// when it was confirmed and the contact, forgetting the address.
pub(crate) async fn confirm(
    scope: &Scope,
    org: OrgId,
    id: uuid::Uuid,
    now: DateTime<Utc>,
) -> StorageResult<OptInConfirmation> {
    let now = micros(now);
    let backend = scope.db.get_database_backend();
    let txn = scope.begin_write(org).await?;
    let request = find(&txn, org, id).await?;
    if request.confirmed_at.is_some() {
        return Ok(OptInConfirmation::AlreadyConfirmed);
    }
    let Some(email) = request.email.clone().filter(|_| now < request.expires_at) else {
        return Ok(OptInConfirmation::Expired);
    };
    let email_key = email.trim().to_ascii_lowercase();
    let existing = contact::Entity::find()
        .filter(Column::OrgId.eq(org.as_uuid()))
        .filter(Column::EmailKey.eq(email_key.clone()))
        .one(&txn)
        .await
        .db()?;
    let contact = match existing {
        Some(current) => {
            let mut update = contact::Entity::update_many()
                .col_expr(Column::Consent, Expr::value(Consent::Subscribed.as_str()))
                .col_expr(Column::ConsentSource, Expr::value(DOUBLE_OPT_IN))
                .col_expr(Column::ConsentAt, Expr::value(now))
                .col_expr(Column::UpdatedAt, Expr::value(now));
            if current.first_name.is_none()
                && let Some(name) = request.first_name.clone()
            {
                update = update.col_expr(Column::FirstName, Expr::value(name));
            }
            update
                .filter(Column::Id.eq(current.id))
                .filter(Column::OrgId.eq(org.as_uuid()))
                .exec(&txn)
                .await
                .db()?;
            current.id
        }
        None => {
            let id = uuid::Uuid::now_v7();
            contact::Entity::insert(contact::ActiveModel {
                id: Set(id),
                org_id: Set(org.as_uuid()),
                email: Set(Some(email.trim().to_owned())),
                email_key: Set(Some(email_key)),
                first_name: Set(request.first_name.clone()),
                time_zone: Set(None),
                locale: Set(None),
                attributes: Set(serde_json::json!({})),
                consent: Set(Consent::Subscribed.as_str().to_owned()),
                consent_source: Set(DOUBLE_OPT_IN.to_owned()),
                consent_at: Set(now),
                created_at: Set(now),
                updated_at: Set(now),
                erased_at: Set(None),
            })
            .exec_without_returning(&txn)
            .await
            .db()?;
            id
        }
    };
    crate::consent_log::record(
        &txn,
        org,
        vec![crate::consent_log::ConsentEvent {
            contact,
            consent: Consent::Subscribed,
            source: DOUBLE_OPT_IN,
            form: Some(&request.page_slug),
        }],
        now,
    )
    .await?;
    txn.execute_raw(crate::queue::statement(
        backend,
        "DELETE FROM erased_addresses WHERE org_id = ? AND address_hash = ?",
        vec![org.as_uuid().into(), request.address_hash.clone().into()],
    ))
    .await
    .db()?;
    let marked = opt_in_request::Entity::update_many()
        .col_expr(opt_in_request::Column::ConfirmedAt, Expr::value(Some(now)))
        .col_expr(opt_in_request::Column::Email, Expr::value(None::<String>))
        .col_expr(
            opt_in_request::Column::FirstName,
            Expr::value(None::<String>),
        )
        .col_expr(
            opt_in_request::Column::ContactId,
            Expr::value(Some(contact)),
        )
        .filter(opt_in_request::Column::OrgId.eq(org.as_uuid()))
        .filter(opt_in_request::Column::Id.eq(id))
        .filter(opt_in_request::Column::ConfirmedAt.is_null())
        .exec(&txn)
        .await
        .db()?;
    if marked.rows_affected != 1 {
        // Confirmed by a concurrent request in the meantime: leave that one's work.
        txn.rollback().await.db()?;
        return Ok(OptInConfirmation::AlreadyConfirmed);
    }
    txn.commit().await.db()?;
    Ok(OptInConfirmation::Confirmed(ContactId::from_uuid(contact)))
}
