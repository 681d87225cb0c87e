//! uninstall.sh for real (no `--root`) inside the sandbox with a private network namespace:
//! the ban table and the tunnel guard table the helper made go away with `--purge`, and so does
//! the data the manifest lists. The host's firewall, /etc and /var are untouched (the sandbox checks).

use super::{script, text};
use crate::privileged::sandbox::{self, helper_ok};
use std::process::Command;

#[test]
fn uninstall_removes_the_helpers_ban_table_and_the_listed_data() {
    sandbox::scenario_test(
        module_path!(),
        "uninstall_removes_the_helpers_ban_table_and_the_listed_data",
        true,
        &["unshare", "mount", "nft", "ip", "groupadd"],
        inside,
    );
}

fn inside() {
    sandbox::enter();
    helper_ok(&["ban-ip", "203.0.113.7"], None);
    helper_ok(&["guard-tunnels", "7300"], None);
    let listed = |table: &str| Command::new("nft").args(["list", "table", "inet", table]).output().unwrap();
    for table in ["wss_panel", "wss_panel_tunnel"] {
        assert!(listed(table).status.success(), "the helper made no table {table}");
    }

    std::fs::create_dir_all("/var/lib/wss-panel-installer").unwrap();
    std::fs::create_dir_all("/var/lib/wss-panel").unwrap();
    std::fs::write("/var/lib/wss-panel/wss_panel.redb", "data").unwrap();
    std::fs::write(
        "/var/lib/wss-panel-installer/manifest",
        "data /var/lib/wss-panel\ndir /var/lib/wss-panel\n",
    )
    .unwrap();
    let out = Command::new(script("uninstall.sh")).args(["--purge"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    for table in ["wss_panel", "wss_panel_tunnel"] {
        assert!(!listed(table).status.success(), "the table {table} is still there");
    }
    assert!(!std::path::Path::new("/var/lib/wss-panel").exists());
    assert!(!std::path::Path::new("/var/lib/wss-panel-installer").exists());
}
