//! People who sign in to the dashboard: adding and removing them (command line), signing in with
//! a password, the server-side session behind the browser's cookie, switching organization and
//! signing out.
//!
//! Passwords are stored as argon2id hashes; a session cookie is 32 random bytes of which only the
//! SHA-256 is stored. Every request resolves the session and then the user's membership afresh,
//! so removing a person (or changing their role) takes effect on their next click. Sign-in
//! attempts are throttled as [`crate::sign_in_throttle`] describes.

use crate::caller::{Actor, Caller};
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use crate::retry::read_twice;
use crate::sign_in_throttle::{SignInThrottle, Throttled};
use ame_domain::{FieldError, MemberRole, OrgId, UserId};
use ame_storage::{Membership, NewWebSession, StorageError, WebSession};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeDelta;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::Arc;

/// How long a dashboard session lasts after sign-in.
pub const SESSION_LIFETIME: TimeDelta = TimeDelta::hours(12);
/// Allowed password lengths, in characters.
pub const PASSWORD_LENGTH: (usize, usize) = (12, 256);
/// A hash verified when no account matches, so an unknown address takes as long as a wrong
/// password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Xm6o8sUpvlsKj6V5Qx6fSwE0cIAQHUm+QdYwRa1hP3c";

/// Why a sign-in did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The email is unknown or the password wrong (deliberately not saying which).
    #[error("the email address or password is wrong")]
    WrongCredentials,
    /// Too many failed attempts, of this account from this address, of this account, or from
    /// this address (`what`).
    #[error("too many {}; try again in {retry_after} seconds", .what.describe())]
    Throttled {
        /// Seconds until the next attempt is allowed.
        retry_after: u64,
        /// What was throttled.
        what: Throttled,
    },
    /// Anything else.
    #[error(transparent)]
    App(#[from] AppError),
}

/// A successful sign-in: the new session's cookie value (shown only now) and the session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The cookie value; only its hash is stored.
    pub cookie: String,
    /// The session.
    pub session: WebSession,
}

/// A resolved dashboard request: the session, the user's organizations and, once they work in
/// one they still belong to, the caller every use case takes.
#[derive(Debug, Clone)]
pub struct DashboardSession {
    /// The session.
    pub session: WebSession,
    /// Every organization the user belongs to.
    pub memberships: Vec<Membership>,
    /// The caller in the session's organization (`None` when it has none or the user left it).
    pub caller: Option<Caller>,
}

impl DashboardSession {
    /// The name of the organization the session works in.
    pub fn org_name(&self) -> Option<&str> {
        let org = self.caller?.org;
        self.memberships
            .iter()
            .find(|m| m.org == org)
            .map(|m| m.org_name.as_str())
    }
}

/// SHA-256 of a session cookie, the key it is stored under.
pub fn session_hash(cookie: &str) -> [u8; 32] {
    Sha256::digest(cookie.as_bytes()).into()
}

fn random_token() -> AppResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// A random password of 24 URL-safe characters (for accounts an administrator hands out).
pub(crate) fn random_password() -> AppResult<String> {
    let mut bytes = [0u8; 18];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Checks an email address for an account: one `@`, something on both sides, at most 254
/// characters.
fn validate_email(email: &str) -> AppResult<String> {
    let email = email.trim();
    let ok = email.len() <= 254
        && email.split('@').count() == 2
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(email.to_lowercase())
    } else {
        Err(AppError::Validation(vec![FieldError::new(
            "email",
            "must be an email address such as ana@example.com (at most 254 characters)",
        )]))
    }
}

fn validate_password(password: &str) -> AppResult<()> {
    let length = password.chars().count();
    if (PASSWORD_LENGTH.0..=PASSWORD_LENGTH.1).contains(&length) {
        Ok(())
    } else {
        Err(AppError::Validation(vec![FieldError::new(
            "password",
            format!(
                "must be {} to {} characters long (it has {length})",
                PASSWORD_LENGTH.0, PASSWORD_LENGTH.1
            ),
        )]))
    }
}

async fn hash_password(password: String) -> AppResult<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(AppError::internal)?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt).map_err(AppError::internal)?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(AppError::internal)
    })
    .await
    .map_err(AppError::internal)?
}

async fn password_matches(password: String, hash: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(AppError::internal)?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(AppError::internal)?
}

impl Engine {
    /// Gives the person with `email` `role` in `org`, creating their account; with `password`,
    /// sets it (ending their sessions). An administrator's act from the command line.
    pub async fn add_user(
        &self,
        org: OrgId,
        email: &str,
        role: MemberRole,
        password: Option<String>,
    ) -> AppResult<UserId> {
        let email = validate_email(email)?;
        let hash = match password {
            Some(password) => {
                validate_password(&password)?;
                Some(hash_password(password).await?)
            }
            None => None,
        };
        let user = self
            .service_repos()
            .accounts
            .set_login(org, &email, hash, role, self.now())
            .await?;
        self.key_cache().clear();
        Ok(user)
    }

    /// Removes the person with `email` from `org`; their sessions there end at once.
    pub async fn remove_user(&self, org: OrgId, email: &str) -> AppResult<()> {
        self.service_repos()
            .accounts
            .remove_login(org, &email.trim().to_lowercase())
            .await?;
        self.key_cache().clear();
        Ok(())
    }

    /// Signs a person in with their password and starts a new session (always a new id, so a
    /// session id planted before sign-in is worth nothing), in their first organization.
    /// `replacing` is the cookie the browser already had: that session ends.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        address: Option<IpAddr>,
        replacing: Option<&str>,
    ) -> Result<SignedIn, SignInError> {
        let email = email.trim().to_lowercase();
        let now = self.now();
        self.sign_in_throttle()
            .admit(&email, address, now)
            .map_err(|(what, left)| SignInError::Throttled {
                retry_after: u64::try_from(left.num_seconds()).unwrap_or(0).max(1),
                what,
            })?;
        let accounts = self.service_repos().accounts;
        let record = read_twice(|| accounts.login(&email))
            .await
            .map_err(AppError::from)?;
        let (user, hash) = match &record {
            Some(r) => (Some(r.user), r.password_hash.clone()),
            None => (None, DUMMY_HASH.to_owned()),
        };
        let matches = password_matches(password.to_owned(), hash).await?;
        let Some(user) = user.filter(|_| matches) else {
            self.sign_in_throttle().failed(&email, address, now);
            return Err(SignInError::WrongCredentials);
        };
        self.sign_in_throttle().succeeded(&email, address);
        if let Some(old) = replacing {
            self.sign_out(old).await?;
        }
        let mine = self.repos_acting_as(user).accounts;
        let memberships = mine.memberships(user).await.map_err(AppError::from)?;
        let cookie = random_token()?;
        let now = self.now();
        let session = NewWebSession {
            id_hash: session_hash(&cookie),
            user,
            org: memberships.first().map(|m| m.org),
            csrf_token: random_token()?,
            created_at: now,
            expires_at: now + SESSION_LIFETIME,
        };
        mine.create_session(session.clone())
            .await
            .map_err(AppError::from)?;
        Ok(SignedIn {
            cookie,
            session: WebSession {
                user,
                email,
                org: session.org,
                csrf_token: session.csrf_token,
                created_at: session.created_at,
                expires_at: session.expires_at,
            },
        })
    }

    /// The live session behind `cookie`, with the user's organizations and their caller in the
    /// session's organization; `None` for an unknown, ended or expired session.
    pub async fn dashboard_session(&self, cookie: &str) -> AppResult<Option<DashboardSession>> {
        let accounts = self.service_repos().accounts;
        let hash = session_hash(cookie);
        let now = self.now();
        let Some(session) = read_twice(|| accounts.session(hash, now)).await? else {
            return Ok(None);
        };
        let mine = self.repos_acting_as(session.user).accounts;
        let memberships = read_twice(|| mine.memberships(session.user)).await?;
        let caller = session.org.and_then(|org| {
            memberships.iter().find(|m| m.org == org).map(|m| Caller {
                org,
                role: m.role,
                actor: Actor::User(session.user),
            })
        });
        Ok(Some(DashboardSession {
            session,
            memberships,
            caller,
        }))
    }

    /// Moves the session behind `cookie` to `org`, which its user must belong to.
    pub async fn switch_organization(&self, cookie: &str, org: OrgId) -> AppResult<()> {
        let Some(current) = self.dashboard_session(cookie).await? else {
            return Err(AppError::NotFound { entity: "session" });
        };
        if !current.memberships.iter().any(|m| m.org == org) {
            return Err(AppError::NotFound {
                entity: "organization",
            });
        }
        self.repos_acting_as(current.session.user)
            .accounts
            .switch_session(current.session.user, session_hash(cookie), org)
            .await?;
        Ok(())
    }

    /// Ends the session behind `cookie` (nothing happens for an unknown one).
    pub async fn sign_out(&self, cookie: &str) -> AppResult<()> {
        let accounts = self.service_repos().accounts;
        let hash = session_hash(cookie);
        match accounts.session(hash, self.now()).await? {
            Some(session) => match self
                .repos_acting_as(session.user)
                .accounts
                .end_session(session.user, hash)
                .await
            {
                Ok(()) | Err(StorageError::NotFound { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            },
            None => Ok(()),
        }
    }
}

/// The sign-in throttle an engine shares between its clones.
pub(crate) type SharedThrottle = Arc<SignInThrottle>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_lower_cased() {
        assert_eq!(
            validate_email(" Ana@Example.COM ").unwrap(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@localhost",
            "a b@example.com",
            "a@b@c.de",
        ] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_twelve_characters() {
        assert!(validate_password("short").is_err());
        assert!(validate_password("correct horse battery").is_ok());
    }

    #[tokio::test]
    async fn a_hash_verifies_its_own_password_only() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            password_matches("correct horse battery".into(), hash.clone())
                .await
                .unwrap()
        );
        assert!(
            !password_matches("wrong horse battery".into(), hash)
                .await
                .unwrap()
        );
        assert!(
            !password_matches("x".into(), DUMMY_HASH.into())
                .await
                .unwrap()
        );
    }
}
