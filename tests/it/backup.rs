//! Backups against the real panel: `wss-panel backup` while users are being written,
//! `wss-panel restore` into a stopped panel's data dir, refusal of damaged files, and the
//! scheduled backups' rotation.

use crate::helpers::{PanelDir, wait_for};
use crate::import_original::contents;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use wss_panel::store::Store;
use wss_panel::store::tables::USERS;

fn cli(config: &Path, args: &[&str]) -> (bool, String) {
    let out = crate::helpers::cli_with_config(config, args, "");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn user_names(store_path: &Path) -> Vec<String> {
    let store = Store::open(store_path).unwrap();
    store
        .read(|txn| wss_panel::store::users::list(&txn.open_table(USERS)?))
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect()
}

#[test]
fn a_backup_taken_under_write_load_restores_to_a_committed_point() {
    let source = PanelDir::new(json!({ "backup_interval_secs": 0 }));
    let mut panel = source.start();
    let created = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (created, stop) = (created.clone(), stop.clone());
        let (url, token) = (panel.url.clone(), panel.token.clone());
        std::thread::spawn(move || {
            let agent = crate::helpers::agent();
            while !stop.load(Ordering::SeqCst) {
                let n = created.load(Ordering::SeqCst);
                let body = json!({ "username": format!("w{n:05}"), "password": "pw-load-1", "rate_kbps": n });
                let status = agent
                    .post(&format!("{url}/api/users"))
                    .header("Authorization", &format!("Bearer {token}"))
                    .send_json(body)
                    .unwrap()
                    .status();
                assert_eq!(status.as_u16(), 201);
                created.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    wait_for(Duration::from_secs(30), || (created.load(Ordering::SeqCst) >= 20).then_some(()))
        .expect("the writer is creating users");
    let out = source.dir.path().join("snap.wssbak");
    let (ok, said) = cli(&source.config_path(), &["backup", "--out", out.to_str().unwrap()]);
    let during = created.load(Ordering::SeqCst);
    assert!(ok, "{said}");
    assert!(said.contains("backup written"), "{said}");
    wait_for(Duration::from_secs(30), || (created.load(Ordering::SeqCst) > during).then_some(()))
        .expect("writes go on after the backup");
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    panel.kill9();

    let target = PanelDir::new(json!({}));
    let (ok, said) = cli(&target.config_path(), &["restore", out.to_str().unwrap()]);
    assert!(ok, "{said}");
    let restored = user_names(&target.store_path());
    let k = restored.len();
    assert!(k >= 20, "the backup holds the users committed before it: {k}");
    let prefix: Vec<String> = (0..k).map(|n| format!("w{n:05}")).collect();
    assert_eq!(restored, prefix, "a committed point: every user up to one, none after a gap");
    let all = user_names(&source.store_path());
    assert!(all.len() > k, "users written after the snapshot are not in it");
    let source_store = Store::open(&source.store_path()).unwrap();
    let target_store = Store::open(&target.store_path()).unwrap();
    for name in &restored {
        let get =
            |s: &Store| s.read(|txn| wss_panel::store::users::get(&txn.open_table(USERS)?, name)).unwrap();
        assert_eq!(get(&target_store), get(&source_store), "{name} equals its committed record");
    }
}

#[test]
fn a_truncated_damaged_or_foreign_file_is_refused_and_nothing_changes() {
    let dir = PanelDir::new(json!({ "backup_interval_secs": 0 }));
    let mut panel = dir.start();
    assert_eq!(panel.create_user("keep", "pw-keep-1", json!({})).status, 201);
    let good = dir.dir.path().join("good.wssbak");
    assert!(cli(&dir.config_path(), &["backup", "--out", good.to_str().unwrap()]).0);
    assert_eq!(panel.create_user("later", "pw-later-1", json!({})).status, 201);
    let (ok, said) = cli(&dir.config_path(), &["restore", good.to_str().unwrap()]);
    assert!(!ok && said.contains("is in use: stop the panel first"), "{said}");
    panel.kill9();

    let bytes = std::fs::read(&good).unwrap();
    let write = |name: &str, b: &[u8]| {
        let p = dir.dir.path().join(name);
        std::fs::write(&p, b).unwrap();
        p
    };
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    let cases = [
        (write("short.wssbak", &bytes[..bytes.len() - 100]), "is truncated"),
        (write("head.wssbak", &bytes[..10]), "is truncated"),
        (
            write("foreign.wssbak", b"SQLite format 3\0 and then some other bytes entirely, long enough"),
            "is not a wss-panel backup",
        ),
        (write("empty.wssbak", b""), "is not a wss-panel backup"),
        (write("flipped.wssbak", &flipped), "checksum does not match"),
    ];
    let before = contents(&dir.store_path());
    for (path, why) in &cases {
        let (ok, said) = cli(&dir.config_path(), &["restore", path.to_str().unwrap()]);
        assert!(!ok, "{} was accepted", path.display());
        assert!(said.contains(why) && said.contains("the store was not changed"), "{why}: {said}");
        assert_eq!(contents(&dir.store_path()), before);
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.store_path().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("restore") || n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let (ok, said) = cli(&dir.config_path(), &["restore", good.to_str().unwrap()]);
    assert!(ok, "{said}");
    assert!(said.contains("the previous store is kept as"), "{said}");
    assert_eq!(user_names(&dir.store_path()), ["keep"]);
    let aside = said.lines().find_map(|l| l.strip_prefix("the previous store is kept as ")).unwrap();
    assert_eq!(user_names(Path::new(aside.trim())), ["keep", "later"]);
}

#[test]
fn scheduled_backups_keep_the_newest_n_owner_only() {
    let dir = PanelDir::new(json!({ "backup_interval_secs": 1, "backup_keep": 2 }));
    let panel = dir.start();
    let written = || panel.log.lock().unwrap().iter().filter(|l| l.contains("BACKUP_WRITTEN")).count();
    wait_for(Duration::from_secs(30), || (written() >= 4).then_some(())).expect("four scheduled backups");
    let backups = dir.store_path().parent().unwrap().join("backups");
    let files = wss_panel::backup::schedule::list(&backups).unwrap();
    assert!(files.len() <= 2 && !files.is_empty(), "{files:?}");
    assert_eq!(std::fs::metadata(&backups).unwrap().permissions().mode() & 0o777, 0o700);
    for f in &files {
        assert_eq!(std::fs::metadata(f).unwrap().permissions().mode() & 0o777, 0o600);
        wss_panel::backup::file::check(f).unwrap();
    }
}
