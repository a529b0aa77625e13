//! Keyset pagination: opaque cursors and page requests, newest first.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// Smallest and largest page sizes.
pub const PAGE_LIMITS: (u32, u32) = (1, 100);
/// Page size when the client does not ask for one.
pub const DEFAULT_PAGE_LIMIT: u32 = 20;
/// Page size of the engine's own sweeps over a whole list (never a client's page).
pub const BATCH_PAGE_LIMIT: u32 = 5000;

/// A position in a newest-first listing: the last item seen (its creation time and id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Creation time of the last item seen.
    pub created_at: DateTime<Utc>,
    /// Id of the last item seen (breaks ties between equal timestamps).
    pub id: Uuid,
}

/// A cursor string that is not one AME handed out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cursor: pass the `next_cursor` value of a previous page unchanged")]
pub struct CursorError;

impl Cursor {
    /// Encodes the cursor as an opaque URL-safe string.
    pub fn encode(&self) -> String {
        let raw = format!("{}|{}", self.created_at.timestamp_micros(), self.id);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Decodes a string produced by [`Cursor::encode`].
    pub fn decode(text: &str) -> Result<Self, CursorError> {
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| CursorError)?;
        let raw = String::from_utf8(bytes).map_err(|_| CursorError)?;
        let (micros, id) = raw.split_once('|').ok_or(CursorError)?;
        let micros: i64 = micros.parse().map_err(|_| CursorError)?;
        let created_at = DateTime::from_timestamp_micros(micros).ok_or(CursorError)?;
        let id = Uuid::parse_str(id).map_err(|_| CursorError)?;
        Ok(Self { created_at, id })
    }
}

/// Which page to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    /// Continue after this position; `None` starts at the newest item.
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// A page of `limit` items (1..=100) after `after`.
    pub fn new(limit: u32, after: Option<Cursor>) -> Result<Self, crate::FieldError> {
        if !(PAGE_LIMITS.0..=PAGE_LIMITS.1).contains(&limit) {
            return Err(crate::FieldError::new(
                "limit",
                format!(
                    "must be between {} and {}; got {limit}",
                    PAGE_LIMITS.0, PAGE_LIMITS.1
                ),
            ));
        }
        Ok(Self { limit, after })
    }

    /// A page of [`BATCH_PAGE_LIMIT`] items after `after`, for the engine's own sweeps over a
    /// whole list (an audience of 100,000 contacts in 20 reads instead of 1,000).
    pub fn batch(after: Option<Cursor>) -> Self {
        Self {
            limit: BATCH_PAGE_LIMIT,
            after,
        }
    }

    /// The first page with the default size.
    pub fn first() -> Self {
        Self {
            limit: DEFAULT_PAGE_LIMIT,
            after: None,
        }
    }

    /// The page size.
    pub fn limit(&self) -> u32 {
        self.limit
    }
}

/// One page of a newest-first listing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    /// The items, newest first.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let c = Cursor {
            created_at: DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
    }

    #[test]
    fn foreign_cursors_are_rejected() {
        for bad in [
            "",
            "abc",
            "!!!",
            &URL_SAFE_NO_PAD.encode("12|nope"),
            &URL_SAFE_NO_PAD.encode("x|0"),
        ] {
            assert_eq!(Cursor::decode(bad), Err(CursorError), "{bad}");
        }
    }

    #[test]
    fn limits_are_checked() {
        assert!(PageRequest::new(0, None).is_err());
        assert!(PageRequest::new(101, None).is_err());
        assert_eq!(PageRequest::new(100, None).unwrap().limit(), 100);
        assert_eq!(PageRequest::first().limit(), DEFAULT_PAGE_LIMIT);
    }
}
