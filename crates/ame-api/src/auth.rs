//! Authentication (resolved once per request, then cached in its extensions): `Authorization: Bearer` with an organization API key (`ame_...`) or a
//! Supabase-compatible HS256 JWT (the user picks the organization with `X-Org-Id`).

use crate::problem::Problem;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use ame_domain::{ApiKeyId, MemberRole, OrgId, UserId};
use ame_storage::{
    API_KEY_PREFIX, ApiKeyRepository, OrganizationRepository, Storage, StorageError,
};
use futures::future::LocalBoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// The header a JWT user names the organization with.
pub const ORG_HEADER: &str = "X-Org-Id";

/// Who is calling, for which organization, with what role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    /// The organization every call of this request acts in.
    pub org: OrgId,
    /// What the caller may do there.
    pub role: MemberRole,
    /// The credential behind the call.
    pub actor: Actor,
}

/// The credential behind a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// An organization API key.
    ApiKey(ApiKeyId),
    /// A user authenticated by a JWT.
    User(UserId),
}

impl Principal {
    /// Storage acting for this caller: API keys act through the organization's service
    /// principal, users as themselves (so row-level security checks their own membership).
    pub fn storage(&self, base: &Storage) -> Storage {
        match self.actor {
            Actor::ApiKey(_) => base.clone(),
            Actor::User(user) => base.acting_as(user),
        }
    }

    /// 403 unless the role may create and change campaigns.
    pub fn require_write(&self) -> Result<(), Problem> {
        if self.role.can_write() {
            Ok(())
        } else {
            Err(Problem::forbidden(format!(
                "a {} may read but not change anything; this needs member, admin or owner",
                self.role
            )))
        }
    }

    /// 403 unless the role may manage API keys.
    pub fn require_manage(&self) -> Result<(), Problem> {
        if self.role.can_manage() {
            Ok(())
        } else {
            Err(Problem::forbidden(format!(
                "a {} may not manage API keys; this needs admin or owner",
                self.role
            )))
        }
    }
}

/// Verifies HS256 JWTs the way Supabase issues them.
#[derive(Clone)]
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("audience", &self.validation.aud)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
}

impl JwtVerifier {
    /// Accepts only HS256 tokens signed with `secret`, for `audience`, with `sub` and an
    /// unexpired `exp` (no leeway).
    pub fn hs256(secret: &[u8], audience: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "aud", "sub"]);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        Self {
            key: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// The user a token authenticates, or why it does not.
    pub fn verify(&self, token: &str) -> Result<UserId, String> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| format!("the token is not valid: {e}"))?;
        data.claims
            .sub
            .parse::<uuid::Uuid>()
            .map(UserId::from_uuid)
            .map_err(|_| "the token's `sub` is not a user id (UUID)".to_owned())
    }
}

fn bearer(req: &HttpRequest) -> Result<String, Problem> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| Problem::unauthorized("send `Authorization: Bearer <API key or JWT>`"))?;
    let text = value
        .to_str()
        .map_err(|_| Problem::unauthorized("the Authorization header is not readable text"))?;
    match text.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(Problem::unauthorized(
            "the Authorization header must use the Bearer scheme: `Bearer <API key or JWT>`",
        )),
    }
}

fn org_header(req: &HttpRequest) -> Result<Option<OrgId>, Problem> {
    let Some(value) = req.headers().get(ORG_HEADER) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<uuid::Uuid>().ok())
        .map(|u| Some(OrgId::from_uuid(u)))
        .ok_or_else(|| {
            Problem::bad_request(
                "invalid_org_header",
                format!("the {ORG_HEADER} header must be an organization id (UUID)"),
            )
        })
}

async fn authenticate(
    state: &AppState,
    token: String,
    org: Option<OrgId>,
) -> Result<Principal, Problem> {
    if token.starts_with(API_KEY_PREFIX) {
        let principal = match state.key_cache.get(&token) {
            Some(principal) => principal,
            None => {
                let principal = state
                    .storage
                    .api_keys()
                    .authenticate(&token)
                    .await?
                    .ok_or_else(|| Problem::unauthorized("the API key is unknown or revoked"))?;
                state.key_cache.insert(&token, principal);
                principal
            }
        };
        if org.is_some_and(|o| o != principal.org) {
            return Err(Problem::forbidden(format!(
                "this API key belongs to another organization than the {ORG_HEADER} header names"
            )));
        }
        return Ok(Principal {
            org: principal.org,
            role: principal.role,
            actor: Actor::ApiKey(principal.key_id),
        });
    }
    let verifier = state.jwt.as_ref().ok_or_else(|| {
        Problem::unauthorized(
            "not an AME API key, and JWT sign-in is not configured on this server",
        )
    })?;
    let user = verifier.verify(&token).map_err(Problem::unauthorized)?;
    let org = org.ok_or_else(|| {
        Problem::bad_request(
            "missing_org_header",
            format!("a user token must name the organization in the {ORG_HEADER} header"),
        )
    })?;
    let role = match state
        .storage
        .acting_as(user)
        .organizations()
        .member_role(org, user)
        .await
    {
        Ok(role) => role,
        Err(StorageError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let role =
        role.ok_or_else(|| Problem::forbidden("you are not a member of this organization"))?;
    Ok(Principal {
        org,
        role,
        actor: Actor::User(user),
    })
}

impl FromRequest for Principal {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(principal) = req.extensions().get::<Principal>().copied() {
            return Box::pin(async move { Ok(principal) });
        }
        let req = req.clone();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(&req);
        let org = org_header(&req);
        Box::pin(async move {
            let state = state.ok_or_else(|| {
                tracing::error!("application state missing");
                Problem::internal()
            })?;
            let principal = authenticate(&state, token?, org?).await?;
            req.extensions_mut().insert(principal);
            Ok(principal)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    fn token(alg: Algorithm, secret: &[u8], claims: serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(alg),
            &claims,
            &EncodingKey::from_secret(secret),
        )
        .unwrap()
    }

    #[test]
    fn jwt_rules() {
        let verifier = JwtVerifier::hs256(b"secret", "authenticated");
        let user = uuid::Uuid::now_v7();
        let exp = chrono::Utc::now().timestamp() + 600;
        let good = json!({"sub": user, "aud": "authenticated", "exp": exp});
        assert_eq!(
            verifier
                .verify(&token(Algorithm::HS256, b"secret", good.clone()))
                .unwrap(),
            UserId::from_uuid(user)
        );
        assert!(
            verifier
                .verify(&token(Algorithm::HS256, b"other", good.clone()))
                .is_err()
        );
        assert!(
            verifier
                .verify(&token(Algorithm::HS384, b"secret", good))
                .is_err()
        );
        let expired = json!({"sub": user, "aud": "authenticated", "exp": exp - 1200});
        assert!(
            verifier
                .verify(&token(Algorithm::HS256, b"secret", expired))
                .is_err()
        );
        let wrong_aud = json!({"sub": user, "aud": "anon", "exp": exp});
        assert!(
            verifier
                .verify(&token(Algorithm::HS256, b"secret", wrong_aud))
                .is_err()
        );
        let no_exp = json!({"sub": user, "aud": "authenticated"});
        assert!(
            verifier
                .verify(&token(Algorithm::HS256, b"secret", no_exp))
                .is_err()
        );
        let not_uuid = json!({"sub": "alice", "aud": "authenticated", "exp": exp});
        assert!(
            verifier
                .verify(&token(Algorithm::HS256, b"secret", not_uuid))
                .is_err()
        );
    }
}
