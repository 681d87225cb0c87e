//! `import-original` against real SQLite files built from the original's schema
//! (`tests/fixtures/original_schema.sql`) with the odd data a years-old panel has: NULLs,
//! legacy columns, unparsable dates, duplicate and orphan history rows, a user whose Linux
//! account is missing. Every field is checked in the store afterwards, and an imported
//! bcrypt password opens a tunnel through the real proxy.

use crate::helpers::PanelDir;
use crate::helpers::net::*;
use redb::ReadableTable;
use rusqlite::{Connection, params};
use serde_json::json;
use std::io::Write;
use std::path::Path;
use wss_panel::config::Config;
use wss_panel::domain::{UserStatus, Username, parse_day};
use wss_panel::import::accounts::{Account, Accounts};
use wss_panel::import::{self, ImportArgs};
use wss_panel::store::tables::*;
use wss_panel::store::users::User;
use wss_panel::store::{Record, Store};

const GIB: u64 = 1 << 30;
pub const SCHEMA: &str = include_str!("../fixtures/original_schema.sql");

/// The Linux accounts as a test host has them; records what was taken over.
#[derive(Default)]
pub struct FakeAccounts {
    pub taken: Vec<String>,
}

impl Accounts for FakeAccounts {
    fn check(&self, name: &str) -> Account {
        match name {
            "ghost" => Account::Missing,
            "bob" => Account::Refused("login shell /bin/bash is not a tunnel account's".into()),
            _ => Account::Eligible,
        }
    }
    fn take_over(&mut self, names: &[Username]) -> anyhow::Result<String> {
        self.taken.extend(names.iter().map(|n| n.to_string()));
        Ok(format!("{} taken over", names.len()))
    }
}

pub fn hash(password: &str) -> String {
    bcrypt::hash_with_result(password, 4).unwrap().format_for_version(bcrypt::Version::TwoB)
}

/// name, password_hash, created_at, status, expiration_date, quota_gb, usage_gb, rate_kbps,
/// max_connections, require_auth_header, allow_shell
type UserRow = (
    &'static str,
    Option<String>,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Option<f64>,
    Option<f64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// An original installation directory with the odd rows.
pub fn original_dir(config: Option<serde_json::Value>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let db = Connection::open(dir.path().join("wss_panel.db")).unwrap();
    db.execute_batch(SCHEMA).unwrap();
    let insert = "INSERT INTO users (username, password_hash, created_at, status, expiration_date, quota_gb, \
                  usage_gb, rate_kbps, max_connections, require_auth_header, realtime_speed_up, \
                  realtime_speed_down, active_connections, status_text, allow_shell, fuse_threshold_kbps) \
                  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 12.5, 3.25, 3, ?11, ?12, 900)";
    let rows: [UserRow; 8] = [
        (
            "alice",
            Some(hash("alice-pw-1")),
            Some("2024-03-01 10:20:30"),
            Some("active"),
            Some("2099-01-31"),
            Some(10.5),
            Some(1.25),
            Some(2048),
            Some(2),
            Some(1),
            Some(0),
        ),
        ("bob", Some(hash("bob-pw-1")), None, Some("paused"), None, None, None, None, None, Some(0), Some(1)),
        (
            "carol",
            Some(hash("carol-pw-1")),
            Some("2023-01-01 00:00:00"),
            Some("expired"),
            Some(""),
            Some(0.0),
            Some(3.0),
            Some(0),
            Some(0),
            Some(1),
            Some(0),
        ),
        (
            "dave",
            Some(hash("dave-pw-1")),
            Some("garbage"),
            Some("exceeded"),
            Some("not-a-date"),
            Some(1.0),
            Some(1.5),
            Some(-5),
            Some(1),
            Some(1),
            Some(0),
        ),
        (
            "erin",
            Some(hash("erin-pw-1")),
            Some("2023-06-01 12:00:00"),
            Some("fused"),
            Some("2024-01-01 00:00:00"),
            Some(2.0),
            Some(0.5),
            Some(512),
            Some(4),
            Some(1),
            Some(0),
        ),
        (
            "ghost",
            Some(hash("ghost-pw-1")),
            Some("2023-06-01 12:00:00"),
            Some("active"),
            Some("2099-12-31"),
            None,
            Some(0.0),
            Some(0),
            Some(0),
            Some(1),
            Some(0),
        ),
        ("9lives", Some(hash("nine-pw-1")), None, Some("active"), None, None, None, None, None, None, None),
        ("nohash", None, None, Some("active"), None, None, None, None, None, None, None),
    ];
    for (name, pw, created, status, expiry, quota, usage, rate, max, auth, shell) in rows {
        let text = status.map(|s| format!("status of {s}"));
        db.execute(
            insert,
            params![name, pw, created, status, expiry, quota, usage, rate, max, auth, text, shell],
        )
        .unwrap();
    }
    for (user, date, gb) in [
        ("alice", "2024-05-01", 0.5),
        ("alice", " 2024-05-01", 0.25),
        ("alice", "2024-05-02", 1.0),
        ("zed", "2024-05-01", 9.0),
        ("bob", "yesterday", 1.0),
    ] {
        db.execute(
            "INSERT INTO traffic_history (username, date, usage_gb) VALUES (?1, ?2, ?3)",
            params![user, date, gb],
        )
        .unwrap();
    }
    for (ip, reason) in [("203.0.113.7", Some("abuse")), ("198.51.100.0/24", None), ("not-an-ip", Some("x"))]
    {
        db.execute(
            "INSERT INTO ip_bans (ip, reason, added_by, timestamp) VALUES (?1, ?2, 'root', '2024-04-01 08:00:00')",
            params![ip, reason],
        )
        .unwrap();
    }
    db.execute("UPDATE global_settings SET value = '5000' WHERE key = 'fuse_threshold_kbps'", []).unwrap();
    drop(db);
    std::fs::write(
        dir.path().join("hosts.json"),
        r#"["Example.COM", "cdn.example.net:443", "bad host!", 7]"#,
    )
    .unwrap();
    if let Some(config) = config {
        std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    }
    dir
}

pub fn run(
    panel: &PanelDir,
    from: &Path,
    dry_run: bool,
    accounts: &mut FakeAccounts,
) -> anyhow::Result<String> {
    let config = Config::load(&panel.config_path()).unwrap();
    let args = ImportArgs { from: from.to_owned(), dry_run, skip_accounts: false };
    import::run(&config, &args, accounts)
}

/// Everything in the store the import may touch, decoded, for before/after comparisons.
pub fn contents(store_path: &Path) -> String {
    std::fs::create_dir_all(store_path.parent().unwrap()).unwrap();
    let store = Store::open(store_path).unwrap();
    store
        .read(|txn| -> Result<String, wss_panel::store::StoreError> {
            let mut out = String::new();
            for e in txn.open_table(USERS)?.iter()? {
                out += &format!("{:?}\n", User::decode(e?.1.value())?);
            }
            for e in txn.open_table(TRAFFIC)?.iter()? {
                let (k, v) = e?;
                out += &format!("{:?} {:?}\n", k.value(), v.value());
            }
            for table in [IP_BANS, HOSTS, SETTINGS] {
                for e in txn.open_table(table)?.iter()? {
                    let (k, v) = e?;
                    out += &format!("{} {:?}\n", k.value(), v.value());
                }
            }
            Ok(out)
        })
        .unwrap()
}

fn user(store: &Store, name: &str) -> User {
    store
        .read(|txn| wss_panel::store::users::get(&txn.open_table(USERS)?, name))
        .unwrap()
        .unwrap_or_else(|| panic!("{name} was not imported"))
}

#[test]
fn every_field_of_the_original_arrives_and_odd_rows_are_reported() {
    let panel = PanelDir::new(json!({}));
    let original = original_dir(Some(json!({
        "panel_port": 54321, "wss_http_port": 8080, "wss_tls_port": 8443, "stunnel_port": 444,
        "udpgw_port": 7300, "internal_forward_port": 22, "internal_api_secret": "the-original-secret-0123",
    })));
    let mut accounts = FakeAccounts::default();
    let report = run(&panel, original.path(), false, &mut accounts).unwrap();
    let store = Store::open(&panel.store_path()).unwrap();
    let alice = user(&store, "alice");
    assert_eq!(alice.status, UserStatus::Active);
    assert_eq!(alice.expires_on, Some(parse_day("2099-01-31").unwrap()));
    assert_eq!(alice.created_at, 1_709_288_430);
    assert_eq!(alice.quota_bytes, 21 * GIB / 2);
    assert_eq!(alice.used_bytes(), 5 * GIB / 4);
    assert_eq!((alice.rate_kbps, alice.max_connections), (2048, 2));
    assert!(alice.require_auth_header && !alice.allow_shell);
    assert!(bcrypt::verify("alice-pw-1", &alice.password_hash).unwrap());
    let bob = user(&store, "bob");
    assert_eq!(bob.status, UserStatus::Paused);
    assert_eq!((bob.expires_on, bob.quota_bytes, bob.used_bytes()), (None, 0, 0));
    assert_eq!((bob.rate_kbps, bob.max_connections), (0, 0));
    assert!(!bob.require_auth_header && bob.allow_shell);
    let carol = user(&store, "carol");
    assert_eq!((carol.status, carol.expires_on, carol.used_bytes()), (UserStatus::Expired, None, 3 * GIB));
    let dave = user(&store, "dave");
    assert_eq!((dave.status, dave.expires_on), (UserStatus::Exceeded, None));
    assert_eq!((dave.quota_bytes, dave.used_bytes(), dave.rate_kbps), (GIB, 3 * GIB / 2, 0));
    let erin = user(&store, "erin");
    assert_eq!((erin.status, erin.expires_on), (UserStatus::Fused, Some(parse_day("2024-01-01").unwrap())));
    assert_eq!((erin.rate_kbps, erin.max_connections), (512, 4));
    assert_eq!(user(&store, "ghost").status, UserStatus::Active);
    store
        .read(|txn| -> Result<(), wss_panel::store::StoreError> {
            let users = txn.open_table(USERS)?;
            assert!(users.get("9lives")?.is_none() && users.get("nohash")?.is_none());
            let days = wss_panel::store::traffic::range(
                &txn.open_table(TRAFFIC)?,
                "alice",
                parse_day("2024-05-01").unwrap(),
                parse_day("2024-05-02").unwrap(),
            )?;
            assert_eq!(days[0].1.down_bytes, 3 * GIB / 4, "duplicate rows of a day are summed");
            assert_eq!(days[1].1.down_bytes, GIB);
            assert_eq!(txn.open_table(TRAFFIC)?.iter()?.count(), 2, "orphan and undated rows are left out");
            let bans = wss_panel::store::ip_bans::list(&txn.open_table(IP_BANS)?)?;
            let ips: Vec<&str> = bans.iter().map(|b| b.ip.as_str()).collect();
            assert_eq!(ips, ["198.51.100.0/24", "203.0.113.7"]);
            assert_eq!(bans[1].reason, "abuse");
            assert_eq!(bans[1].added_by, "root");
            assert_eq!(bans[1].created_at, 1_711_958_400);
            let hosts = wss_panel::store::hosts::list(&txn.open_table(HOSTS)?)?;
            let hosts: Vec<&str> = hosts.iter().map(|h| h.host.as_str()).collect();
            assert_eq!(hosts, ["cdn.example.net", "example.com"]);
            assert_eq!(wss_panel::store::settings::read(txn)?.fuse_threshold_kbps, 5000);
            Ok(())
        })
        .unwrap();
    drop(store);
    let config = Config::load(&panel.config_path()).unwrap();
    assert_eq!((config.wss_http_port, config.wss_tls_port, config.panel_port), (8080, 8443, 54321));
    assert_eq!(config.internal_api_secret, crate::helpers::SECRET, "only ports are taken from the original");
    for line in [
        "users \"9lives\"",
        "users \"nohash\": no password hash (NULL)",
        "traffic_history zed 2024-05-01: no imported user of that name",
        "traffic_history bob yesterday: the date is not YYYY-MM-DD",
        "ip_bans not-an-ip",
        "hosts.json \"bad host!\"",
        "hosts.json 7: not a string",
        "dave: expiry \"not-a-date\" is no date: never expires",
        "alice: 2 traffic_history rows for 2024-05-01, summed",
        "ghost: no Linux account",
        "bob: Linux account not taken over",
        "ports: wss_http_port 0 -> 8080 (config.json)",
        "fuse threshold: 0 -> 5000 KiB/s",
    ] {
        assert!(report.contains(line), "{line:?} missing in\n{report}");
    }
    assert_eq!(accounts.taken, ["alice", "carol", "dave", "erin"]);
}

#[test]
fn a_dry_run_reports_the_same_and_a_second_run_changes_nothing() {
    let panel = PanelDir::new(json!({}));
    let original = original_dir(None);
    let mut accounts = FakeAccounts::default();
    let dry_first = run(&panel, original.path(), true, &mut accounts).unwrap();
    assert!(!panel.store_path().exists(), "a dry run before the first start creates no store");
    let empty = contents(&panel.store_path());
    let dry = run(&panel, original.path(), true, &mut accounts).unwrap();
    assert_eq!(dry, dry_first);
    assert_eq!(contents(&panel.store_path()), empty, "a dry run writes nothing");
    assert!(accounts.taken.is_empty(), "a dry run takes over no account");
    assert!(dry.contains("dry run") && dry.contains("users: would import 6;"), "{dry}");
    let real = run(&panel, original.path(), false, &mut accounts).unwrap();
    let body = |report: &str| -> Vec<String> {
        let text = report.replace("would import", "imported");
        text.lines().skip(1).filter(|l| !l.starts_with("Linux accounts")).map(str::to_owned).collect()
    };
    assert_eq!(body(&real), body(&dry), "the dry run said exactly what the real run did");
    assert!(dry.contains("Linux accounts: would take over 4: alice, carol, dave, erin"), "{dry}");
    let after_first = contents(&panel.store_path());
    assert_ne!(after_first, empty);
    let second = run(&panel, original.path(), false, &mut accounts).unwrap();
    assert_eq!(contents(&panel.store_path()), after_first);
    assert!(second.contains("users: imported 0; already imported 6;"), "{second}");
    assert!(second.contains("result: nothing to change"), "{second}");
}

#[test]
fn a_foreign_database_is_refused_and_nothing_is_written() {
    let panel = PanelDir::new(json!({}));
    let foreign = tempfile::tempdir().unwrap();
    let db = Connection::open(foreign.path().join("wss_panel.db")).unwrap();
    db.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, password TEXT);").unwrap();
    drop(db);
    let err = run(&panel, foreign.path(), false, &mut FakeAccounts::default()).unwrap_err().to_string();
    assert!(
        err.contains("is not the original panel's database (table users has no column username)"),
        "{err}"
    );
    assert!(!panel.store_path().exists(), "the store was not even created");
    std::fs::File::create(foreign.path().join("wss_panel.db"))
        .unwrap()
        .write_all(b"not sqlite at all, just text")
        .unwrap();
    let err = run(&panel, foreign.path(), false, &mut FakeAccounts::default()).unwrap_err().to_string();
    assert!(err.contains("not the original panel's database"), "{err}");
    assert!(!panel.store_path().exists());
}

#[test]
fn the_cli_refuses_while_the_panel_runs() {
    let panel_dir = PanelDir::new(json!({}));
    let _panel = panel_dir.start();
    let original = original_dir(None);
    let out = crate::helpers::cli_with_config(
        &panel_dir.config_path(),
        &["import-original", "--from", original.path().to_str().unwrap(), "--skip-accounts"],
        "",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("is in use: stop the panel first"), "{stderr}");
}

#[test]
fn an_imported_password_opens_a_tunnel_through_the_real_proxy() {
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let original = original_dir(None);
    let out = crate::helpers::cli_with_config(
        &dir.config_path(),
        &["import-original", "--from", original.path().to_str().unwrap(), "--skip-accounts"],
        "",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let _panel = dir.start();
    let proxy = dir.start_proxy();
    // The imported whitelist holds example.com.
    let head = |user: &str, pw: &str| upgrade_head(user, pw).replace("tunnel.example", "example.com");
    let mut s = connect(proxy.http);
    s.write_all(head("alice", "alice-pw-1").as_bytes()).unwrap();
    let answer = read_head(&mut s);
    assert!(answer.starts_with("HTTP/1.1 101"), "{answer}");
    s.write_all(b"SSH-2.0-imported\r\n").unwrap();
    assert_eq!(read_exact(&mut s, 18), b"SSH-2.0-imported\r\n");
    assert_eq!(status_of(proxy.http, &head("alice", "wrong-pw")), "HTTP/1.1 401 Unauthorized");
    assert_eq!(status_of(proxy.http, &head("bob", "bob-pw-1")), "HTTP/1.1 403 Paused");
    // The proxy gets the host list over /ipc, beside the auth answers it gets over HTTP.
    let outside = crate::helpers::wait_for(std::time::Duration::from_secs(5), || {
        let status = status_of(proxy.http, &upgrade_head("alice", "alice-pw-1"));
        status.starts_with("HTTP/1.1 403").then_some(status)
    });
    assert!(outside.is_some(), "the imported whitelist is in force");
}
