//! Blob storage for rendered files (HTML, PNG, WAV): a local directory by default, any
//! S3-compatible service for scale-out, both through the `object_store` crate.
//!
//! Keys are content-addressed (`{org}/{sha256}`), so writing the same file twice is harmless (a
//! retried generation rewrites the same keys), and files are written before the database rows
//! that point at them: a crash can leave an unreferenced file, never a reference to a missing
//! one.

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// A blob storage failure.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The store could not be set up (bad URL, missing directory permissions, missing credentials).
    #[error("blob storage is misconfigured: {0}")]
    Config(String),
    /// A read or write failed.
    #[error("blob storage failed: {0}")]
    Io(String),
    /// The key is not acceptable.
    #[error("invalid blob key `{0}`")]
    Key(String),
}

/// A stream of a blob's bytes.
pub type BlobStream = BoxStream<'static, Result<Bytes, BlobError>>;

/// Where rendered files live.
#[async_trait]
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// Stores `bytes` under `key` (replacing any previous content).
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError>;
    /// Streams the blob under `key`, with its size; `None` when there is none.
    async fn open(&self, key: &str) -> Result<Option<(u64, BlobStream)>, BlobError>;
    /// A URI naming the blob in this store (`file:///…`, `s3://bucket/…`, `memory:///…`).
    fn uri(&self, key: &str) -> String;
    /// Every stored blob with when it was last written.
    async fn list(&self) -> Result<Vec<StoredBlob>, BlobError>;
    /// Removes the blob under `key` (nothing when there is none).
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
}

/// A blob as listed by [`BlobStore::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// Its key.
    pub key: String,
    /// When it was last written.
    pub modified: chrono::DateTime<chrono::Utc>,
    /// Its size in bytes.
    pub size: u64,
}

/// The content-addressed key of a file of `org`.
pub fn blob_key(org: &str, sha256_hex: &str) -> String {
    format!("{org}/{sha256_hex}")
}

/// A [`BlobStore`] over any `object_store` backend.
pub struct ObjectBlobs {
    store: Arc<dyn ObjectStore>,
    base_uri: String,
}

impl fmt::Debug for ObjectBlobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectBlobs")
            .field("base_uri", &self.base_uri)
            .finish()
    }
}

impl ObjectBlobs {
    /// Files under a local directory (created when missing).
    pub fn local(dir: &Path) -> Result<Self, BlobError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| BlobError::Config(format!("cannot create {}: {e}", dir.display())))?;
        let dir = dir
            .canonicalize()
            .map_err(|e| BlobError::Config(format!("cannot resolve {}: {e}", dir.display())))?;
        let store =
            LocalFileSystem::new_with_prefix(&dir).map_err(|e| BlobError::Config(e.to_string()))?;
        Ok(Self {
            store: Arc::new(store),
            base_uri: format!("file://{}", dir.display()),
        })
    }

    /// An S3-compatible bucket, `s3://bucket[/prefix]`; credentials, region and endpoint come
    /// from the usual `AWS_*` environment variables (`AWS_ENDPOINT` for MinIO and friends).
    pub fn s3(url: &str) -> Result<Self, BlobError> {
        let (store, prefix) = object_store::parse_url_opts(
            &url.parse()
                .map_err(|e| BlobError::Config(format!("{url}: {e}")))?,
            std::env::vars()
                .filter(|(k, _)| k.starts_with("AWS_"))
                .map(|(k, v)| (k.to_ascii_lowercase(), v)),
        )
        .map_err(|e| BlobError::Config(e.to_string()))?;
        let store: Arc<dyn ObjectStore> = Arc::from(store);
        let store: Arc<dyn ObjectStore> = if prefix.as_ref().is_empty() {
            store
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
        };
        Ok(Self {
            store,
            base_uri: url.trim_end_matches('/').to_owned(),
        })
    }

    /// Blobs kept in memory (tests and tools).
    pub fn in_memory() -> Self {
        Self {
            store: Arc::new(InMemory::new()),
            base_uri: "memory://".to_owned(),
        }
    }

    /// A store named by `location`: `s3://…` for S3, `memory:` for memory, else a directory path.
    pub fn from_location(location: &str) -> Result<Self, BlobError> {
        if location.starts_with("s3://") {
            Self::s3(location)
        } else if location == "memory:" {
            Ok(Self::in_memory())
        } else {
            Self::local(Path::new(
                location.strip_prefix("file://").unwrap_or(location),
            ))
        }
    }
}

fn path(key: &str) -> Result<ObjectPath, BlobError> {
    let ok = !key.is_empty()
        && key.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        });
    if !ok {
        return Err(BlobError::Key(key.to_owned()));
    }
    ObjectPath::parse(key).map_err(|_| BlobError::Key(key.to_owned()))
}

#[async_trait]
impl BlobStore for ObjectBlobs {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        self.store
            .put(&path(key)?, PutPayload::from_bytes(bytes))
            .await
            .map(|_| ())
            .map_err(|e| BlobError::Io(e.to_string()))
    }

    async fn open(&self, key: &str) -> Result<Option<(u64, BlobStream)>, BlobError> {
        match self.store.get(&path(key)?).await {
            Ok(result) => {
                let size = result.meta.size;
                let stream = result
                    .into_stream()
                    .map(|chunk| chunk.map_err(|e| BlobError::Io(e.to_string())))
                    .boxed();
                Ok(Some((size, stream)))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(BlobError::Io(e.to_string())),
        }
    }

    fn uri(&self, key: &str) -> String {
        format!("{}/{key}", self.base_uri)
    }

    async fn list(&self) -> Result<Vec<StoredBlob>, BlobError> {
        self.store
            .list(None)
            .map(|meta| {
                meta.map(|m| StoredBlob {
                    key: m.location.to_string(),
                    modified: m.last_modified,
                    size: m.size,
                })
                .map_err(|e| BlobError::Io(e.to_string()))
            })
            .try_collect()
            .await
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.store.delete(&path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(BlobError::Io(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(store: &ObjectBlobs, key: &str) -> Option<Vec<u8>> {
        let (size, mut stream) = store.open(key).await.unwrap()?;
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(size as usize, out.len());
        Some(out)
    }

    #[tokio::test]
    async fn local_files_round_trip_and_survive_a_new_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectBlobs::local(dir.path()).unwrap();
        let key = blob_key("0195b4c2-aaaa-7bbb-8ccc-123456789abc", "ab12");
        store
            .put(&key, Bytes::from_static(b"<html>hi</html>"))
            .await
            .unwrap();
        store
            .put(&key, Bytes::from_static(b"<html>hi</html>"))
            .await
            .unwrap();
        assert_eq!(read(&store, &key).await.unwrap(), b"<html>hi</html>");
        let again = ObjectBlobs::local(dir.path()).unwrap();
        assert_eq!(read(&again, &key).await.unwrap(), b"<html>hi</html>");
        assert!(store.uri(&key).starts_with("file:///"));
        assert_eq!(read(&store, "org/missing").await, None);
    }

    #[tokio::test]
    async fn blobs_are_listed_with_their_age_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectBlobs::local(dir.path()).unwrap();
        store
            .put("org/a", Bytes::from_static(b"one"))
            .await
            .unwrap();
        store
            .put("org/b", Bytes::from_static(b"two!"))
            .await
            .unwrap();
        let mut listed = store.list().await.unwrap();
        listed.sort_by(|x, y| x.key.cmp(&y.key));
        assert_eq!(
            listed
                .iter()
                .map(|b| (b.key.as_str(), b.size))
                .collect::<Vec<_>>(),
            [("org/a", 3), ("org/b", 4)]
        );
        assert!(listed[0].modified <= chrono::Utc::now());
        store.delete("org/a").await.unwrap();
        store.delete("org/a").await.unwrap();
        assert!(store.open("org/a").await.unwrap().is_none());
        assert_eq!(store.list().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn keys_cannot_escape_the_store() {
        let store = ObjectBlobs::in_memory();
        for bad in ["", "../etc/passwd", "a//b", "a/./b", "a/b c", "/abs"] {
            assert!(
                matches!(store.put(bad, Bytes::new()).await, Err(BlobError::Key(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn locations_choose_the_backend() {
        assert!(
            ObjectBlobs::from_location("memory:")
                .unwrap()
                .uri("k")
                .starts_with("memory://")
        );
        let s3 = ObjectBlobs::from_location("s3://bucket/prefix").unwrap();
        assert_eq!(s3.uri("org/sha"), "s3://bucket/prefix/org/sha");
    }
}
