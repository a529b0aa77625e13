//! Who may issue, rotate and revoke which API keys, on both backends: every acting role
//! against every target role for every action, keys issued from the command line included;
//! no key ever comes out stronger than the one acting, and revoking a key revokes the keys it
//! issued.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ame_app::{AppError, Caller};
use ame_domain::MemberRole;
use ame_test_support::{TestDb, backend_tests};
use support::{Harness, at};

backend_tests!(
    every_key_action_follows_the_owner_rule,
    revoking_a_key_revokes_the_keys_it_issued
);

const ROLES: [MemberRole; 4] = [
    MemberRole::Owner,
    MemberRole::Admin,
    MemberRole::Member,
    MemberRole::Viewer,
];

#[derive(Debug, Clone, Copy)]
enum Action {
    Issue,
    Rotate,
    Revoke,
}

/// A fresh command-line key of `role` (no issuer), as the caller it authenticates to.
async fn cli_key(h: &Harness, role: MemberRole, name: &str) -> (Caller, String) {
    let issued = h
        .engine
        .admin_issue_key(h.caller.org, name, role)
        .await
        .unwrap();
    let caller = h
        .engine
        .authenticate_key(&issued.secret)
        .await
        .unwrap()
        .unwrap();
    (caller, issued.secret)
}

async fn every_key_action_follows_the_owner_rule(db: TestDb) {
    let h = Harness::new(db, at(2027, 3, 1, 9, 0)).await;
    let mut checked = 0;
    for acting in ROLES {
        for target in ROLES {
            for action in [Action::Issue, Action::Rotate, Action::Revoke] {
                let (caller, _) = cli_key(&h, acting, "acting").await;
                let (_, target_secret) = cli_key(&h, target, "target").await;
                let target_id = h
                    .engine
                    .authenticate_key(&target_secret)
                    .await
                    .unwrap()
                    .unwrap()
                    .actor;
                let ame_app::Actor::ApiKey(target_id) = target_id else {
                    panic!("a key authenticates as a key")
                };
                let outcome = match action {
                    Action::Issue => h
                        .engine
                        .issue_key(&caller, "new", target, None)
                        .await
                        .map(|issued| Some(issued.secret)),
                    Action::Rotate => h
                        .engine
                        .rotate_key(&caller, target_id)
                        .await
                        .map(|issued| Some(issued.secret)),
                    Action::Revoke => h.engine.revoke_key(&caller, target_id).await.map(|_| None),
                };
                let allowed = acting.can_manage()
                    && (target != MemberRole::Owner || acting == MemberRole::Owner);
                let case = format!("{acting} {action:?} {target} key");
                match outcome {
                    Ok(new_secret) => {
                        assert!(allowed, "{case}: allowed");
                        // What comes out never acts above the key that made it.
                        if let Some(secret) = new_secret {
                            let made = h.engine.authenticate_key(&secret).await.unwrap().unwrap();
                            assert_eq!(made.role, target.weaker(acting), "{case}");
                        }
                    }
                    Err(AppError::Forbidden(why)) => {
                        assert!(!allowed, "{case}: refused ({why})");
                    }
                    Err(other) => panic!("{case}: {other:?}"),
                }
                if !allowed && !matches!(action, Action::Issue) {
                    // The target is untouched.
                    assert!(
                        h.engine
                            .authenticate_key(&target_secret)
                            .await
                            .unwrap()
                            .is_some(),
                        "{case}: the target still works"
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 48);
}

async fn revoking_a_key_revokes_the_keys_it_issued(db: TestDb) {
    let h = Harness::new(db, at(2027, 3, 1, 9, 0)).await;
    let (owner, _) = cli_key(&h, MemberRole::Owner, "owner").await;
    let (admin, admin_secret) = cli_key(&h, MemberRole::Admin, "admin").await;
    let child = h
        .engine
        .issue_key(&admin, "child", MemberRole::Admin, None)
        .await
        .unwrap();
    let child_caller = h
        .engine
        .authenticate_key(&child.secret)
        .await
        .unwrap()
        .unwrap();
    let grandchild = h
        .engine
        .issue_key(&child_caller, "grandchild", MemberRole::Member, None)
        .await
        .unwrap();
    assert!(
        h.engine
            .authenticate_key(&grandchild.secret)
            .await
            .unwrap()
            .is_some()
    );
    let ame_app::Actor::ApiKey(admin_id) = admin.actor else {
        panic!("a key")
    };
    h.engine.revoke_key(&owner, admin_id).await.unwrap();
    for secret in [&admin_secret, &child.secret, &grandchild.secret] {
        assert!(
            h.engine.authenticate_key(secret).await.unwrap().is_none(),
            "a key below a revoked one still works"
        );
    }
    let listed = h.engine.api_keys(&owner).await.unwrap();
    assert_eq!(
        listed.iter().filter(|k| k.revoked_at.is_some()).count(),
        3,
        "{listed:?}"
    );
}
