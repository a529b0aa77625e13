//! Authentication, resolved once per request and then kept in its extensions:
//! `Authorization: Bearer` with an organization API key (`ame_...`) or a Supabase-compatible
//! HS256 JWT (the user picks the organization with `X-Org-Id`). Who the credential stands for is
//! the application's decision ([`ame_app::Engine::authenticate_key`],
//! [`ame_app::Engine::authenticate_user`]); this module reads the headers.

use crate::limits::client_address;
use crate::problem::{ErrorCode, Problem};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use ame_app::Caller;
use ame_domain::OrgId;
use ame_storage::API_KEY_PREFIX;
use futures::future::LocalBoxFuture;

/// The header a JWT user names the organization with.
pub const ORG_HEADER: &str = "X-Org-Id";

/// The authenticated caller of a request (extracting it authenticates the request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal(pub Caller);

impl std::ops::Deref for Principal {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.0
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
                ErrorCode::InvalidOrgHeader,
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
        let caller = state
            .engine
            .authenticate_key(&token)
            .await?
            .ok_or_else(|| Problem::unauthorized("the API key is unknown or revoked"))?;
        if org.is_some_and(|o| o != caller.org) {
            return Err(Problem::forbidden(format!(
                "this API key belongs to another organization than the {ORG_HEADER} header names"
            )));
        }
        return Ok(Principal(caller));
    }
    let verifier = state.jwt.as_ref().ok_or_else(|| {
        Problem::unauthorized(
            "not an AME API key, and JWT sign-in is not configured on this server",
        )
    })?;
    let user = verifier.verify(&token).map_err(Problem::unauthorized)?;
    let org = org.ok_or_else(|| {
        Problem::bad_request(
            ErrorCode::MissingOrgHeader,
            format!("a user token must name the organization in the {ORG_HEADER} header"),
        )
    })?;
    state
        .engine
        .authenticate_user(user, org)
        .await?
        .map(Principal)
        .ok_or_else(|| Problem::forbidden("you are not a member of this organization"))
}

/// How a request's authentication ended, kept so every extractor of the request sees the same.
#[derive(Clone)]
struct AuthOutcome(Result<Principal, Problem>);

impl FromRequest for Principal {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(outcome) = req.extensions().get::<AuthOutcome>().cloned() {
            return Box::pin(async move { outcome.0 });
        }
        let req = req.clone();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(&req);
        let org = org_header(&req);
        let address = client_address(&req);
        let writes = !matches!(*req.method(), Method::GET | Method::HEAD);
        Box::pin(async move {
            let state = state.ok_or_else(|| {
                tracing::error!("application state missing");
                Problem::internal()
            })?;
            // Credentials are always checked: a valid key or token works even from an address
            // that has just sent many bad ones; only the bad ones are throttled.
            let outcome = match (token, org) {
                (Ok(token), Ok(org)) => authenticate(&state, token, org).await,
                (Err(problem), _) | (_, Err(problem)) => Err(problem),
            };
            // Several extractors of one request may authenticate it at once: the first to
            // finish decides, and only it counts against the limits.
            if let Some(decided) = req.extensions().get::<AuthOutcome>().cloned() {
                return decided.0;
            }
            let outcome = match outcome {
                Ok(principal) if writes => state.limits.write(&principal).map(|()| principal),
                Ok(principal) => Ok(principal),
                Err(problem) if problem.status == 401 => Err(state
                    .limits
                    .check_sign_in(address)
                    .err()
                    .or_else(|| state.limits.sign_in_failed(address))
                    .unwrap_or(problem)),
                Err(problem) => Err(problem),
            };
            req.extensions_mut().insert(AuthOutcome(outcome.clone()));
            outcome
        })
    }
}
