//! `UserRegistry` in-process, on a real redb file: rules that need an injected view of the
//! system (existing accounts) or a stored usage (quota), and the audit trail.

use std::sync::Arc;
use wss_panel::actors::user_registry::*;
use wss_panel::domain::{Days, UserStatus, Username};
use wss_panel::store::tables::{AUDIT, USERS};
use wss_panel::store::{Store, StoreError, users};

fn exists_only_postgres(name: &str) -> bool {
    name == "postgres2"
}

fn origin() -> Origin {
    Origin { who: "test".into(), ip: "192.0.2.9".into() }
}

fn new_user(name: &str) -> NewUser {
    NewUser {
        username: Username::parse(name).unwrap(),
        password_hash: "hash".into(),
        crypt_hash: String::new(),
        expires_on: None,
        quota_bytes: 0,
        rate_kbps: 0,
        max_connections: 0,
        require_auth_header: true,
        allow_shell: false,
        note: String::new(),
        quota_reset: Default::default(),
        quota_reset_day: 0,
        expire_after_first_use_days: None,
    }
}

fn audit_len(store: &Store) -> u64 {
    use redb::ReadableTableMetadata;
    store.read(|txn| -> Result<u64, StoreError> { Ok(txn.open_table(AUDIT)?.len()?) }).unwrap()
}

fn run<F: std::future::Future<Output = ()>>(f: impl FnOnce(Arc<Store>, actix::Addr<UserRegistry>) -> F) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("s.redb")).unwrap());
    actix::System::new().block_on(async move {
        let s = store.clone();
        let registry = actix::SyncArbiter::start(1, move || {
            UserRegistry::new(s.clone(), exists_only_postgres, "tunadmin".into())
        });
        f(store, registry).await;
    });
}

#[test]
fn foreign_system_accounts_and_the_panel_user_cannot_become_tunnel_users() {
    run(|store, registry| async move {
        for (name, expected) in
            [("postgres2", "system account named 'postgres2'"), ("tunadmin", "panel's own")]
        {
            let err = registry
                .send(CreateUser { user: new_user(name), by: origin(), password: None })
                .await
                .unwrap()
                .unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
        }
        let all = registry.send(ListUsers).await.unwrap().unwrap();
        assert!(all.is_empty());
        assert_eq!(audit_len(&store), 0, "a refused change writes no audit record");
    });
}

#[test]
fn every_change_writes_exactly_one_audit_record_with_who_and_ip() {
    run(|store, registry| async move {
        registry
            .send(CreateUser { user: new_user("carol"), by: origin(), password: None })
            .await
            .unwrap()
            .unwrap();
        registry
            .send(SetUserStatus {
                username: Username::parse("carol").unwrap(),
                action: StatusAction::Pause,
                by: origin(),
            })
            .await
            .unwrap()
            .unwrap();
        registry
            .send(RenewUser {
                username: Username::parse("carol").unwrap(),
                days: Days::new(3).unwrap(),
                by: origin(),
            })
            .await
            .unwrap()
            .unwrap();
        let missing = registry
            .send(ResetTraffic { username: Username::parse("nobody2").unwrap(), by: origin() })
            .await
            .unwrap();
        assert!(matches!(missing, Err(RegistryError::NotFound(_))));
        assert_eq!(audit_len(&store), 3);
        let (page, _) = store.read(|txn| wss_panel::store::audit::page(txn, None, 10)).unwrap();
        let actions: Vec<_> = page.iter().map(|(_, r)| r.action.as_str()).collect();
        assert_eq!(actions, ["USER_RENEW", "USER_PAUSE", "USER_ADD"]);
        assert!(page.iter().all(|(_, r)| r.ip == "192.0.2.9" && r.who == "test" && r.target == "carol"));
    });
}

#[test]
fn reset_traffic_brings_an_exceeded_user_back_and_raising_the_quota_does_too() {
    run(|store, registry| async move {
        let quota = 1000;
        registry
            .send(CreateUser {
                user: NewUser { quota_bytes: quota, ..new_user("dave") },
                by: origin(),
                password: None,
            })
            .await
            .unwrap()
            .unwrap();
        // Usage arrives from the proxies' reports (another actor); write it as they would.
        store
            .write(|txn| -> Result<(), StoreError> {
                let mut t = txn.open_table(USERS)?;
                let mut u = users::get(&t, "dave")?.unwrap();
                u.used_down_bytes = quota;
                u.status = UserStatus::Exceeded;
                users::put(&mut t, &u)
            })
            .unwrap();
        let u = registry
            .send(ResetTraffic { username: Username::parse("dave").unwrap(), by: origin() })
            .await
            .unwrap()
            .unwrap();
        assert_eq!((u.status, u.used_bytes()), (UserStatus::Active, 0));

        // Over quota again; this time the admin raises the quota above the usage instead.
        store
            .write(|txn| -> Result<(), StoreError> {
                let mut t = txn.open_table(USERS)?;
                let mut u = users::get(&t, "dave")?.unwrap();
                u.used_down_bytes = quota;
                u.status = UserStatus::Exceeded;
                users::put(&mut t, &u)
            })
            .unwrap();
        let same = UserPatch { quota_bytes: Some(quota), ..Default::default() };
        let still_over = registry
            .send(UpdateUser { username: Username::parse("dave").unwrap(), patch: same, by: origin() })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(still_over.status, UserStatus::Exceeded, "a quota equal to the usage is still exceeded");
        let raised = UserPatch { quota_bytes: Some(quota + 1), ..Default::default() };
        let back = registry
            .send(UpdateUser { username: Username::parse("dave").unwrap(), patch: raised, by: origin() })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (back.status, back.used_bytes()),
            (UserStatus::Active, quota),
            "raising the quota lifts it"
        );

        let paused = registry
            .send(SetUserStatus {
                username: Username::parse("dave").unwrap(),
                action: StatusAction::Pause,
                by: origin(),
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(paused.status, UserStatus::Paused);
        let patch = UserPatch { quota_bytes: Some(5000), ..Default::default() };
        let still = registry
            .send(UpdateUser { username: Username::parse("dave").unwrap(), patch, by: origin() })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(still.status, UserStatus::Paused, "an edit never lifts a manual pause");
    });
}
