//! Migrations roll back and reapply.

use ame_domain::CampaignType;
use ame_storage::Backend;
use ame_test_support::{TestDb, backend_tests};

use crate::support::*;

backend_tests!(migrations_roll_back_and_reapply);

async fn migrations_roll_back_and_reapply(db: TestDb) {
    let applied = db.admin.applied_migrations().await.unwrap();
    assert_eq!(applied.len(), 27, "{applied:?}");
    assert!(
        applied.windows(2).all(|w| w[0] < w[1]),
        "migrations not in order: {applied:?}"
    );
    new_org(&db, "Before rollback").await;
    db.admin.rollback_all().await.unwrap();
    assert!(db.admin.applied_migrations().await.unwrap().is_empty());
    let leftovers = match db.backend() {
        Backend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'seaql%' AND name NOT LIKE 'sqlite%'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE 'seaql%'"
        }
    };
    assert_eq!(count(&db, leftovers).await, 0);
    if db.backend() == Backend::Postgres {
        let shim = "SELECT COUNT(*) AS n FROM pg_proc p JOIN pg_namespace s ON s.oid = p.pronamespace \
                    WHERE s.nspname = 'auth' AND p.proname = 'uid'";
        assert_eq!(
            count(&db, shim).await,
            0,
            "the auth.uid() shim survived the rollback"
        );
        let functions = "SELECT COUNT(*) AS n FROM pg_proc WHERE proname LIKE 'ame\\_%'";
        assert_eq!(
            count(&db, functions).await,
            0,
            "ame_* functions survived the rollback"
        );
    }
    db.admin.migrate().await.unwrap();
    if db.backend() == Backend::Postgres {
        db.admin
            .provision_app_role(ame_test_support::APP_ROLE, None)
            .await
            .unwrap();
    }
    let org = new_org(&db, "After reapply").await;
    new_campaign(
        &db,
        org,
        CampaignType::Referral,
        "Works again after reapply",
    )
    .await;
}
