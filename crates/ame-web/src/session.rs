//! The signed-in person behind a request: their session cookie resolved to a
//! [`DashboardSession`], and the CSRF check every form submission passes.

use crate::error::WebError;
use crate::form::FormData;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use ame_app::{Caller, DashboardSession, Engine};
use futures::future::LocalBoxFuture;
use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "ame_session";
/// The cookie holding the sign-in form's CSRF token (double submit: before sign-in there is no
/// session to keep it in).
pub const LOGIN_CSRF_COOKIE: &str = "ame_login_csrf";

/// Whether the request reached us over HTTPS (directly or, as the proxy says, through one).
pub(crate) fn is_https(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

/// A cookie with the dashboard's flags: HttpOnly, `SameSite=Strict`, whole-site path, `Secure`
/// over HTTPS.
pub(crate) fn cookie<'a>(req: &HttpRequest, name: &'a str, value: String) -> Cookie<'a> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(is_https(req))
        .finish()
}

/// A cookie that removes `name` from the browser.
pub(crate) fn expired(req: &HttpRequest, name: &str) -> Cookie<'static> {
    let mut gone = cookie(req, name, String::new()).into_owned();
    gone.make_removal();
    gone
}

/// Compares two tokens in time independent of where they differ.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// A signed-in person working in one of their organizations.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Every use case.
    pub engine: Engine,
    /// Their session, organizations and role.
    pub session: DashboardSession,
    /// Who they are in the organization they work in.
    pub caller: Caller,
    /// The session cookie's value (to switch organization or sign out).
    pub cookie: String,
}

impl Ctx {
    /// Whether their role may change things (shows the write controls).
    pub fn can_write(&self) -> bool {
        self.caller.role.can_write()
    }

    /// Whether their role may manage API keys.
    pub fn can_manage(&self) -> bool {
        self.caller.role.can_manage()
    }

    /// The token every form of this session carries.
    pub fn csrf(&self) -> &str {
        &self.session.session.csrf_token
    }

    /// `Forbidden` unless `form` carries this session's CSRF token.
    pub fn check_csrf(&self, form: &FormData) -> Result<(), WebError> {
        match form.get("csrf") {
            Some(token) if same_token(token, self.csrf()) => Ok(()),
            _ => Err(WebError::csrf()),
        }
    }
}

/// The session behind the request's cookie, if it is live (without requiring an organization).
pub(crate) async fn resolve(
    req: &HttpRequest,
    engine: &Engine,
) -> Result<Option<(DashboardSession, String)>, WebError> {
    let Some(value) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    Ok(engine
        .dashboard_session(&value)
        .await?
        .map(|session| (session, value)))
}

impl FromRequest for Ctx {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let engine = req
                .app_data::<web::Data<Engine>>()
                .map(|e| e.get_ref().clone())
                .ok_or_else(|| WebError::Internal("engine missing from app data".into()))?;
            let Some((session, cookie)) = resolve(&req, &engine).await? else {
                return Err(WebError::SignIn);
            };
            let Some(caller) = session.caller else {
                return Err(WebError::Forbidden(
                    "you are not a member of any organization any more; ask an administrator \
                     to add you, then sign in again"
                        .into(),
                ));
            };
            Ok(Ctx {
                engine,
                session,
                caller,
                cookie,
            })
        })
    }
}
