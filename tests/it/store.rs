//! The redb store: every record type round-trips, data survives reopen and `kill -9`, and
//! the fixture written by the first release still opens and decodes.

use crate::helpers::PanelDir;
use serde_json::json;
#[path = "../fixtures/store_v1_records.rs"]
mod fixture;
use wss_panel::store::tables::*;
use wss_panel::store::{Record, Store, audit, hosts, ip_bans, settings, traffic, users};

/// Reads back every record `fixture::write_all` wrote and compares it field by field.
fn assert_fixture_records(store: &Store) {
    store
        .read(|txn| -> Result<(), wss_panel::store::StoreError> {
            assert_eq!(users::get(&txn.open_table(USERS)?, "alice")?, Some(fixture::user()));
            assert_eq!(settings::read(txn)?, fixture::settings());
            let days =
                traffic::range(&txn.open_table(TRAFFIC)?, "alice", fixture::DAY - 1, fixture::DAY + 1)?;
            let expected = fixture::traffic_day();
            assert_eq!(
                days.iter().map(|(_, t)| *t).collect::<Vec<_>>(),
                vec![Default::default(), expected, Default::default()]
            );
            assert_eq!(ip_bans::list(&txn.open_table(IP_BANS)?)?, vec![fixture::ban()]);
            assert_eq!(hosts::list(&txn.open_table(HOSTS)?)?, vec![fixture::host()]);
            let (page, total) = audit::page(txn, None, 10)?;
            assert_eq!((total, page), (1, vec![(1, fixture::audit_record())]));
            assert_eq!(txn.open_table(NODE_SEQ)?.get("node-1")?.map(|v| v.value()), Some(42));
            Ok(())
        })
        .unwrap();
}

#[test]
fn every_record_type_round_trips_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    fixture::write_all(&Store::open(&path).unwrap()).unwrap();
    // Reopen: a fresh handle on the same file sees every record.
    assert_fixture_records(&Store::open(&path).unwrap());
}

#[test]
fn the_first_release_fixture_opens_and_decodes() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("old.redb");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store-v1.redb"), &copy).unwrap();
    assert_fixture_records(&Store::open(&copy).unwrap());
}

#[test]
fn a_value_from_a_newer_release_is_an_error_not_a_panic() {
    let mut bytes = fixture::user().encode();
    bytes[0] = 200;
    let err = users::User::decode(&bytes).unwrap_err().to_string();
    assert!(err.contains("version 200"), "{err}");
}

#[test]
fn traffic_history_adds_up_per_day_and_fills_missing_days_with_zero() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    store
        .write(|txn| -> Result<(), wss_panel::store::StoreError> {
            let mut t = txn.open_table(TRAFFIC)?;
            traffic::add(&mut t, "bob", 10, 1, 2)?;
            traffic::add(&mut t, "bob", 10, 10, 20)?;
            traffic::add(&mut t, "bob", 12, 5, 5)?;
            traffic::add(&mut t, "bobby", 11, 7, 7)?;
            Ok(())
        })
        .unwrap();
    let days = store.read(|txn| traffic::range(&txn.open_table(TRAFFIC)?, "bob", 9, 12)).unwrap();
    let flat: Vec<_> = days.iter().map(|(d, t)| (*d, t.up_bytes, t.down_bytes)).collect();
    assert_eq!(flat, vec![(9, 0, 0), (10, 11, 22), (11, 0, 0), (12, 5, 5)]);
}

#[test]
fn a_committed_user_survives_kill_9_of_the_panel() {
    let dir = PanelDir::new(json!({}));
    let mut panel = dir.start();
    let reply = panel.create_user("durable", "pw-durable-1", json!({ "quota_gb": 1 }));
    assert_eq!(reply.status, 201, "{:?}", reply.json);
    // The 201 came after the commit; SIGKILL gives the process no chance to flush anything.
    panel.kill9();
    let store = Store::open(&dir.store_path()).unwrap();
    let user = store.read(|txn| users::get(&txn.open_table(USERS)?, "durable")).unwrap().unwrap();
    assert_eq!(user.quota_bytes, 1 << 30);
    drop(store);
    // And the restarted panel serves it.
    let panel = dir.start();
    assert_eq!(panel.api("GET", "/api/users/durable", None).status, 200);
}
