//! The panel's writable state lives in its data dir; the config dir is root's when installed
//! (issue 9, item 2). The panel writes nothing beside config.json, adopts the hash and token
//! that earlier releases kept there, and, when config.json is not its own file, asks the root
//! helper (`set-ports`) instead of writing it.

use crate::helpers::PanelDir;
use crate::helpers::browser_session::{BrowserSession, login_raw};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

/// Names and contents of the plain files directly in `dir`.
fn files_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect()
}

#[test]
fn the_panel_writes_its_token_hash_and_password_changes_only_into_its_data_dir() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    // After the first start, which pins the chosen panel port in config.json.
    let before = files_in(dir.dir.path());
    let s = BrowserSession::login(&panel);
    let changed = s.call(
        "PUT",
        "/api/admin/password",
        Some(json!({"current": crate::helpers::ADMIN_PASSWORD, "new": "another-pass-987"})),
    );
    assert_eq!(changed.status, 200, "{:?}", changed.json);
    let after = files_in(dir.dir.path());
    let differ: Vec<&String> =
        before.keys().chain(after.keys()).filter(|k| before.get(*k) != after.get(*k)).collect();
    assert!(differ.is_empty(), "written beside config.json: {differ:?}");
    let data = dir.dir.path().join("data");
    let hash = std::fs::read_to_string(data.join("admin_password.hash")).unwrap();
    assert!(bcrypt::verify("another-pass-987", &hash).unwrap());
    assert_eq!(std::fs::read_to_string(data.join("admin_token")).unwrap().trim().len(), 64);
}

#[test]
fn the_hash_and_token_an_earlier_release_kept_beside_config_json_are_adopted() {
    let dir = PanelDir::new(json!({}));
    let (root, data) = (dir.dir.path(), dir.dir.path().join("data"));
    std::fs::rename(data.join("admin_password.hash"), root.join("admin_password.hash")).unwrap();
    std::fs::write(root.join("admin_token"), "a".repeat(64)).unwrap();
    let panel = dir.start();
    panel.wait_for_log(&["LEGACY_STATE_ADOPTED", "admin_password.hash"]);
    assert_eq!(login_raw(&panel, "admin", crate::helpers::ADMIN_PASSWORD, None).status, 200);
    assert_eq!(std::fs::read_to_string(data.join("admin_token")).unwrap(), "a".repeat(64));
    assert_eq!(
        std::fs::read(data.join("admin_password.hash")).unwrap(),
        std::fs::read(root.join("admin_password.hash")).unwrap()
    );
}

/// Installed, config.json is root's: the panel (not its owner) must not write it but send
/// the typed `set-ports` command, here to the recording backend, which logs it.
#[test]
fn a_config_the_panel_does_not_own_is_changed_through_the_helper_not_written() {
    use std::os::unix::fs::chown;
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let s = BrowserSession::login(&panel);
    // Owned by `nobody` (65534), still readable: the panel is no longer the owner.
    chown(dir.config_path(), Some(65534), Some(65534)).unwrap();
    let before = std::fs::read(dir.config_path()).unwrap();
    let applied = s.call("PUT", "/api/ports", Some(json!({"wss_http_port": 18081, "wss_tls_port": 18444})));
    assert_eq!(applied.json, json!({"restart": ["wss"], "applied": true}), "{:?}", applied.json);
    let line = panel.wait_for_log(&["SYSTEM_COMMAND", "set-ports"]);
    assert!(line.contains("18081 18444"), "{line}");
    assert_eq!(std::fs::read(dir.config_path()).unwrap(), before, "the panel wrote root's file itself");
}
