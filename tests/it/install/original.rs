//! install.sh over the original panel: it notices the original (its node unit and
//! `/etc/wss-panel/wss_panel.db`), and `--import-original` in a staged run says the import
//! waits for a real one; the original's database is never written. Its badvpn UDPGW unit is
//! set aside (the proxy serves the UDPGW port itself) and put back by uninstall.sh.

use super::{BIN, Stage, TOOLS, text};
use crate::privileged::sandbox::ready;
use std::path::Path;

#[test]
fn install_notices_the_original_panel_and_leaves_its_database_alone() {
    if !ready(TOOLS) {
        return;
    }
    let stage = Stage::new();
    let original = crate::import_original::original_dir(None);
    let db = stage.path("/etc/wss-panel/wss_panel.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    std::fs::copy(original.path().join("wss_panel.db"), &db).unwrap();
    let unit = stage.path("/etc/systemd/system/wss_panel.service");
    std::fs::create_dir_all(unit.parent().unwrap()).unwrap();
    std::fs::write(&unit, "[Service]\nExecStart=/usr/bin/node /etc/wss-panel/wss_panel.js\n").unwrap();
    let badvpn = stage.path("/etc/systemd/system/udpgw.service");
    let badvpn_unit =
        "[Service]\nExecStart=/root/badvpn/badvpn-build/udpgw/badvpn-udpgw --listen-addr 127.0.0.1:7300\n";
    std::fs::write(&badvpn, badvpn_unit).unwrap();
    let before = std::fs::read(&db).unwrap();
    let out = stage.install(Path::new(BIN), &["--import-original"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("the original panel is installed here"), "{said}");
    assert!(said.contains("not importing either: run wss-panel import-original"), "{said}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert!(said.contains("replaced by the proxy's built-in UDPGW"), "{said}");
    assert!(!badvpn.exists(), "badvpn's unit still holds the UDPGW port");
    let out = stage.uninstall(&["--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&badvpn).unwrap(), badvpn_unit, "uninstall puts badvpn's unit back");

    let plain = Stage::new();
    let out = plain.install(Path::new(BIN), &[]);
    assert!(!text(&out).contains("original panel"), "no original, no question: {}", text(&out));
}
