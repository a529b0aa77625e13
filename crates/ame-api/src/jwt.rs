//! Verifying user JWTs (HS256, the way Supabase issues them).

use ame_domain::UserId;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

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
            .map_err(|e| rejection(e.kind()))?;
        data.claims
            .sub
            .parse::<uuid::Uuid>()
            .map(UserId::from_uuid)
            .map_err(|_| "the token's `sub` is not a user id (UUID)".to_owned())
    }
}

/// Why a token was refused, in AME's words (the library's own text names its internals).
fn rejection(kind: &jsonwebtoken::errors::ErrorKind) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match kind {
        ErrorKind::ExpiredSignature => "the token has expired; sign in again".to_owned(),
        ErrorKind::ImmatureSignature => {
            "the token is not valid yet (`nbf` is in the future)".to_owned()
        }
        ErrorKind::InvalidAudience => {
            "the token was issued for another audience (`aud`)".to_owned()
        }
        ErrorKind::InvalidSignature => {
            "the token's signature does not match this server's secret".to_owned()
        }
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            "the token must be signed with HS256".to_owned()
        }
        ErrorKind::MissingRequiredClaim(claim) => {
            format!("the token lacks the required `{claim}` claim")
        }
        _ => {
            "the token is not a well-formed JWT (three base64url parts: header, claims, signature)"
                .to_owned()
        }
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
        for (bad, said) in [
            ("not-a-jwt", "well-formed"),
            ("eyJhbGciOiJub25lIn0.e30.", "well-formed"),
        ] {
            let message = verifier.verify(bad).unwrap_err();
            assert!(message.contains(said), "{message}");
            assert!(
                !message.contains("Base64") && !message.contains("variant"),
                "{message}"
            );
        }
        let not_uuid = json!({"sub": "alice", "aud": "authenticated", "exp": exp});
        assert!(
            verifier
                .verify(&token(Algorithm::HS256, b"secret", not_uuid))
                .is_err()
        );
    }
}
