//! Measures the two operator chores of issue 12 at full size (numbers in BENCHMARKS.md):
//! `import-original` of USERS users (30 days of history each) from an SQLite file with the
//! original's schema, and a backup of a store with USERS users and DAYS days of history
//! each. `cargo run --example migrate_bench -- [USERS] [DAYS]` (defaults 10000 365).

use std::time::Instant;
use wss_panel::domain::{UserStatus, Username};
use wss_panel::import::accounts::{Account, Accounts};
use wss_panel::store::tables::{TRAFFIC, USERS};
use wss_panel::store::traffic::TrafficDay;
use wss_panel::store::users::User;
use wss_panel::store::{Record, Store, StoreError};

struct NoAccounts;
impl Accounts for NoAccounts {
    fn check(&self, _: &str) -> Account {
        Account::Missing
    }
    fn take_over(&mut self, _: &[Username]) -> anyhow::Result<String> {
        Ok(String::new())
    }
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u32>());
    let users = args.next().transpose()?.unwrap_or(10_000);
    let days = args.next().transpose()?.unwrap_or(365) as i32;
    let dir = tempfile::tempdir()?;
    let hash = bcrypt::hash_with_result("bench-pw-1", 4)?.format_for_version(bcrypt::Version::TwoB);

    // The original's database, then the import.
    let from = dir.path().join("original");
    std::fs::create_dir_all(&from)?;
    let mut db = rusqlite::Connection::open(from.join("wss_panel.db"))?;
    db.execute_batch(include_str!("../tests/fixtures/original_schema.sql"))?;
    let txn = db.transaction()?;
    for i in 0..users {
        let name = format!("u{i:05}");
        txn.execute(
            "INSERT INTO users (username, password_hash, created_at, status, expiration_date, quota_gb, \
             usage_gb, rate_kbps, max_connections, require_auth_header, allow_shell) \
             VALUES (?1, ?2, '2024-01-01 00:00:00', 'active', '2099-01-01', 50.0, 1.5, 2048, 2, 1, 0)",
            rusqlite::params![name, hash],
        )?;
        for d in 1..=30 {
            txn.execute(
                "INSERT INTO traffic_history (username, date, usage_gb) VALUES (?1, ?2, 0.05)",
                rusqlite::params![name, format!("2024-05-{d:02}")],
            )?;
        }
    }
    txn.commit()?;
    drop(db);
    let config_path = dir.path().join("config.json");
    std::fs::write(
        &config_path,
        serde_json::json!({ "internal_api_secret": "bench-secret-0123456789", "data_dir": dir.path().join("data") })
            .to_string(),
    )?;
    let config = wss_panel::config::Config::load(&config_path)?;
    let args = wss_panel::import::ImportArgs { from, dry_run: false, skip_accounts: true };
    let started = Instant::now();
    let report = wss_panel::import::run(&config, &args, &mut NoAccounts)?;
    let took = started.elapsed();
    println!("{}", report.lines().find(|l| l.starts_with("users:")).unwrap_or(""));
    println!("import-original: {users} users, {} history rows: {:.2} s", users * 30, took.as_secs_f64());

    // A store with a year of history per user, then a backup of it.
    let store = Store::open(&dir.path().join("big.redb"))?;
    store.write(|txn| -> Result<(), StoreError> {
        let mut table = txn.open_table(USERS)?;
        let mut traffic = txn.open_table(TRAFFIC)?;
        for i in 0..users {
            let user = User {
                password_hash: hash.clone(),
                created_at: 1_700_000_000,
                expires_on: Some(30_000),
                quota_bytes: 50 << 30,
                used_up_bytes: 123_456_789,
                used_down_bytes: 987_654_321,
                rate_kbps: 2048,
                max_connections: 2,
                ..User::blank(&format!("u{i:05}"), UserStatus::Active)
            };
            wss_panel::store::users::put(&mut table, &user)?;
            for d in 0..days {
                let day =
                    TrafficDay { up_bytes: 3_000_000 + u64::from(i), down_bytes: 40_000_000 + d as u64 };
                traffic.insert((user.username.as_str(), 19_000 + d), day.encode().as_slice())?;
            }
        }
        Ok(())
    })?;
    let out = dir.path().join("big.wssbak");
    let started = Instant::now();
    let size = wss_panel::backup::file::create(&store, &out, 0)?;
    let took = started.elapsed();
    println!(
        "backup: {users} users x {days} days ({} history records): {:.2} s, {size} bytes ({:.1} MiB); store file {} bytes",
        u64::from(users) * days as u64,
        took.as_secs_f64(),
        size as f64 / (1u64 << 20) as f64,
        std::fs::metadata(dir.path().join("big.redb"))?.len()
    );
    let started = Instant::now();
    wss_panel::backup::file::check(&out)?;
    let counts = wss_panel::store::snapshot::verify_file(&{
        let p = dir.path().join("verify.redb");
        wss_panel::backup::file::extract(&out, &p)?;
        p
    })?;
    println!(
        "restore check (checksum + extract + decode every record): {:.2} s {counts:?}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
