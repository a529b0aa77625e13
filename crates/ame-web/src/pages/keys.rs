//! API keys: issue (the secret is shown once, on the page that issued it) and revoke.

use super::{checked_form, parse_id};
use crate::error::WebError;
use crate::form::{Control, Errors, csrf_field, field};
use crate::layout::{ok, page, respond, see_other};
use crate::session::Ctx;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Path};
use ame_app::AppError;
use ame_domain::{ApiKeyId, FieldError, MemberRole};
use maud::html;

async fn keys_page(
    ctx: &Ctx,
    secret: Option<&str>,
    errors: &Errors,
    name: &str,
) -> Result<maud::Markup, WebError> {
    let keys = ctx.engine.api_keys(&ctx.caller).await?;
    let roles: Vec<(String, String)> = MemberRole::ALL
        .iter()
        .filter(|r| **r != MemberRole::Owner || ctx.caller.role == MemberRole::Owner)
        .map(|r| (r.to_string(), crate::pages::campaigns::label(r.as_str())))
        .collect();
    Ok(page(
        ctx,
        "keys",
        "API keys",
        html! {
            h1 { "API keys" }
            p { "Keys let other software use the " a href="/docs/" { "AME API" } " for this organization." }
            @if let Some(secret) = secret {
                div .flash role="status" {
                    p { strong { "Copy this key now." } " It is shown only once; AME stores only its hash." }
                    output #new-secret .secret { (secret) }
                }
            }
            (errors.summary())
            form #key-form .card method="post" action="/app/keys" novalidate {
                (csrf_field(ctx.csrf()))
                (field("key_name", "Key name", Some("What uses it, e.g. CRM sync."), Control::Input("text", name), errors, true))
                (field("key_role", "Role", Some("What it may do; at most your own role."), Control::Select(roles, "member"), errors, true))
                button type="submit" { "Create key" }
            }
            div .table-wrap {
                table #keys {
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Key" } th scope="col" { "Role" } th scope="col" { "Created" } th scope="col" { "Last used" } th scope="col" { "State" } } }
                    tbody {
                        @for key in &keys {
                            tr {
                                td { (key.name) }
                                td { code { (key.display_prefix) "…" } }
                                td { (key.role) }
                                td { (key.created_at.format("%Y-%m-%d")) }
                                td { (key.last_used_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "never".into())) }
                                td {
                                    @if let Some(at) = key.revoked_at { "revoked " (at.format("%Y-%m-%d")) }
                                    @else {
                                        form method="post" action={ "/app/keys/" (key.id) "/revoke" } {
                                            (csrf_field(ctx.csrf()))
                                            button type="submit" .danger data-confirm={ "Revoke the key " (key.name) "? Software using it stops working at once." }
                                                aria-label={ "Revoke " (key.name) } { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// `GET /app/keys`.
pub async fn show(ctx: Ctx) -> Result<HttpResponse, WebError> {
    Ok(ok(keys_page(&ctx, None, &Errors::default(), "").await?))
}

/// `POST /app/keys`: issues a key and shows its secret once.
pub async fn create(ctx: Ctx, body: Bytes) -> Result<HttpResponse, WebError> {
    let form = checked_form(&ctx, &body)?;
    let name = form.get("key_name").unwrap_or_default().trim().to_owned();
    let role = form
        .get("key_role")
        .unwrap_or_default()
        .parse::<MemberRole>();
    let result = match role {
        Ok(role) => ctx.engine.issue_key(&ctx.caller, &name, role, None).await,
        Err(e) => Err(AppError::Validation(vec![FieldError::new(
            "key_role",
            e.to_string(),
        )])),
    };
    match result {
        Ok(issued) => Ok(ok(keys_page(
            &ctx,
            Some(&issued.secret),
            &Errors::default(),
            "",
        )
        .await?)),
        Err(AppError::Validation(errors)) => {
            let errors = errors
                .into_iter()
                .map(|mut e| {
                    if e.field == "name" {
                        e.field = "key_name".into();
                    }
                    e
                })
                .collect();
            Ok(respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                keys_page(&ctx, None, &Errors(errors), &name).await?,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /app/keys/{id}/revoke`.
pub async fn revoke(ctx: Ctx, id: Path<String>, body: Bytes) -> Result<HttpResponse, WebError> {
    checked_form(&ctx, &body)?;
    let id = ApiKeyId::from_uuid(parse_id(&id)?);
    ctx.engine.revoke_key(&ctx.caller, id).await?;
    Ok(see_other("/app/keys"))
}
