//! People who sign in to the dashboard: adding and removing them (command line), signing in with
//! a password, the server-side session behind the browser's cookie, switching organization and
//! signing out.
//!
//! Passwords are stored as argon2id hashes; a session cookie is 32 random bytes of which only the
//! SHA-256 is stored. Every request resolves the session and then the user's membership afresh,
//! so removing a person (or changing their role) takes effect on their next click. Sign-in
//! attempts are throttled per account and per client address.

use crate::caller::{Actor, Caller};
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use crate::retry::read_twice;
use ame_domain::{FieldError, MemberRole, OrgId, UserId};
use ame_storage::{Membership, NewWebSession, StorageError, WebSession};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeDelta;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// How long a dashboard session lasts after sign-in.
pub const SESSION_LIFETIME: TimeDelta = TimeDelta::hours(12);
/// Allowed password lengths, in characters.
pub const PASSWORD_LENGTH: (usize, usize) = (12, 256);
/// Sign-in attempts allowed per account in a burst (then one more every 2 minutes).
pub const ACCOUNT_ATTEMPTS: u32 = 5;
/// Sign-in attempts allowed per client address in a burst (then one more every 10 seconds).
pub const ADDRESS_ATTEMPTS: u32 = 20;

/// A hash verified when no account matches, so an unknown address takes as long as a wrong
/// password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Xm6o8sUpvlsKj6V5Qx6fSwE0cIAQHUm+QdYwRa1hP3c";

/// Throttles sign-in attempts, in memory, per account and per client address.
#[derive(Debug)]
pub struct SignInThrottle {
    accounts: DefaultKeyedRateLimiter<String>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        Self::new(ACCOUNT_ATTEMPTS, ADDRESS_ATTEMPTS)
    }
}

impl SignInThrottle {
    /// A throttle allowing `per_account` and `per_address` attempts in a burst.
    pub fn new(per_account: u32, per_address: u32) -> Self {
        let quota = |burst: u32, every: Duration| {
            Quota::with_period(every)
                .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
        };
        Self {
            accounts: RateLimiter::keyed(quota(per_account, Duration::from_secs(120))),
            addresses: RateLimiter::keyed(quota(per_address, Duration::from_secs(10))),
        }
    }

    fn admit(&self, email: &str, address: Option<IpAddr>) -> Result<(), SignInError> {
        let wait = |not_until: governor::NotUntil<_>| SignInError::Throttled {
            retry_after: not_until
                .wait_time_from(governor::clock::Clock::now(
                    &governor::clock::DefaultClock::default(),
                ))
                .as_secs()
                .max(1),
        };
        if let Some(address) = address {
            self.addresses.check_key(&address).map_err(wait)?;
        }
        self.accounts.check_key(&email.to_lowercase()).map_err(wait)
    }
}

/// Why a sign-in did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The email is unknown or the password wrong (deliberately not saying which).
    #[error("the email address or password is wrong")]
    WrongCredentials,
    /// Too many attempts for this account or from this address.
    #[error("too many sign-in attempts; try again in {retry_after} seconds")]
    Throttled {
        /// Seconds until the next attempt is allowed.
        retry_after: u64,
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
        self.sign_in_throttle().admit(&email, address)?;
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
            return Err(SignInError::WrongCredentials);
        };
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

    #[test]
    fn the_throttle_stops_an_account_after_its_burst_whatever_the_address() {
        let throttle = SignInThrottle::new(3, 100);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(throttle.admit("Ana@example.com", Some(a)).is_ok());
        }
        assert!(matches!(
            throttle.admit("ana@example.com", Some(b)),
            Err(SignInError::Throttled { retry_after }) if retry_after >= 1
        ));
        assert!(throttle.admit("bo@example.com", Some(b)).is_ok());
    }

    #[test]
    fn the_throttle_stops_an_address_trying_many_accounts() {
        let throttle = SignInThrottle::new(100, 4);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        for i in 0..4 {
            assert!(
                throttle
                    .admit(&format!("u{i}@example.com"), Some(a))
                    .is_ok()
            );
        }
        assert!(throttle.admit("u9@example.com", Some(a)).is_err());
    }
}
