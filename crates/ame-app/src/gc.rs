//! Sweeping blob storage: files no asset or published page refers to any more (a deleted
//! campaign's, or those of a generation that crashed before storing its set) are removed once
//! they are old enough that no generation still in flight can be about to refer to them.

use crate::engine::Engine;
use crate::error::AppResult;
use ame_domain::OrgId;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// How old an unreferenced blob must be before it is removed by default: longer than any
/// generation takes between writing its files and storing its set.
pub const DEFAULT_GC_MIN_AGE: Duration = Duration::from_secs(3600);

/// What a sweep found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Blobs looked at.
    pub scanned: u64,
    /// Unreferenced blobs removed.
    pub removed: u64,
    /// Bytes freed.
    pub removed_bytes: u64,
    /// Unreferenced blobs kept because they are younger than the minimum age.
    pub too_young: u64,
    /// Blobs whose key names no organization (not written by AME), left alone.
    pub foreign: u64,
    /// The minimum age applied: the one asked for, but never less than
    /// [`GENERATION_STORE_WINDOW`](crate::GENERATION_STORE_WINDOW).
    pub min_age: Duration,
}

impl Engine {
    /// Removes every blob no asset or published page of its organization refers to and that was
    /// last written more than `min_age` ago (on the engine's clock) — never less than
    /// [`GENERATION_STORE_WINDOW`](crate::GENERATION_STORE_WINDOW), so a file a generation in
    /// flight has written but not yet named in its set is never taken.
    pub async fn collect_garbage(&self, min_age: Duration) -> AppResult<GcReport> {
        let min_age = min_age.max(crate::GENERATION_STORE_WINDOW);
        let cutoff = self.now() - chrono::TimeDelta::from_std(min_age).unwrap_or_default();
        let mut report = GcReport {
            min_age,
            ..GcReport::default()
        };
        let mut by_org: BTreeMap<OrgId, Vec<ame_storage::StoredBlob>> = BTreeMap::new();
        for blob in self.blobs().list().await? {
            report.scanned += 1;
            let org = blob
                .key
                .split_once('/')
                .and_then(|(prefix, _)| uuid::Uuid::parse_str(prefix).ok());
            match org {
                Some(org) => by_org.entry(OrgId::from_uuid(org)).or_default().push(blob),
                None => report.foreign += 1,
            }
        }
        let repos = self.service_repos();
        for (org, blobs) in by_org {
            let referenced: HashSet<String> = repos.assets.referenced_files(org).await?;
            for blob in blobs {
                if referenced.contains(&blob.key) {
                    continue;
                }
                if blob.modified > cutoff {
                    report.too_young += 1;
                    continue;
                }
                self.blobs().delete(&blob.key).await?;
                report.removed += 1;
                report.removed_bytes += blob.size;
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use crate::fakes::*;
    use std::collections::HashSet;

    #[tokio::test]
    async fn only_old_unreferenced_blobs_of_an_organization_are_removed() {
        let org = OrgId::new();
        let now = Utc::now();
        let hours_ago = |h: i64| now - chrono::TimeDelta::hours(h);
        let blobs = Arc::new(FakeBlobs::default());
        let key = |name: &str| format!("{}/{name}", org.as_uuid());
        blobs.put_at(&key("kept"), b"in a set", hours_ago(5));
        blobs.put_at(&key("orphan"), b"deleted campaign", hours_ago(2));
        blobs.put_at(&key("fresh"), b"generation in flight", now);
        blobs.put_at("not-an-org/file", b"someone else's", hours_ago(9));
        let mut mocks = Mocks::default();
        let referenced = key("kept");
        mocks
            .assets
            .expect_referenced_files()
            .withf(move |o| *o == org)
            .times(1)
            .returning(move |_| Ok(HashSet::from([referenced.clone()])));
        let engine = mocks
            .engine()
            .with_blobs(blobs.clone())
            .with_clock(Arc::new(ManualClock::new(now)));
        let report = engine.collect_garbage(DEFAULT_GC_MIN_AGE).await.unwrap();
        assert_eq!(
            report,
            GcReport {
                scanned: 4,
                removed: 1,
                removed_bytes: 16,
                too_young: 1,
                foreign: 1,
                min_age: DEFAULT_GC_MIN_AGE,
            }
        );
        assert!(!blobs.contains(&key("orphan")));
        assert!(blobs.contains(&key("kept")) && blobs.contains(&key("fresh")));
        assert!(blobs.contains("not-an-org/file"));
    }

    #[tokio::test]
    async fn a_sweep_asked_for_no_minimum_age_still_spares_a_generation_in_flight() {
        let org = OrgId::new();
        let now = Utc::now();
        let blobs = Arc::new(FakeBlobs::default());
        let key = |name: &str| format!("{}/{name}", org.as_uuid());
        let window = chrono::TimeDelta::from_std(crate::GENERATION_STORE_WINDOW).unwrap();
        blobs.put_at(
            &key("being-stored"),
            b"written, set not stored yet",
            now - window / 2,
        );
        blobs.put_at(
            &key("abandoned"),
            b"a failed generation's",
            now - window * 2,
        );
        let mut mocks = Mocks::default();
        mocks
            .assets
            .expect_referenced_files()
            .returning(|_| Ok(HashSet::new()));
        let engine = mocks
            .engine()
            .with_blobs(blobs.clone())
            .with_clock(Arc::new(ManualClock::new(now)));
        let report = engine
            .collect_garbage(std::time::Duration::ZERO)
            .await
            .unwrap();
        assert_eq!((report.removed, report.too_young), (1, 1));
        assert_eq!(report.min_age, crate::GENERATION_STORE_WINDOW);
        assert!(blobs.contains(&key("being-stored")));
        assert!(!blobs.contains(&key("abandoned")));
    }
}
