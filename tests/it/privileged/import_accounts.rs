//! `import-original` taking over the original's Linux accounts for real, in the sandbox:
//! accounts made the original's way (`useradd -m -s /sbin/nologin`) go on the helper's list
//! and into the tunnel group with their password hash and home untouched; an account with a
//! real shell and a missing account are reported and left alone.

use super::sandbox::{self, helper_list, passwd_entry, run};
use crate::helpers::{PanelDir, cli_with_config};
use serde_json::json;

fn shadow_hash(name: &str) -> String {
    let shadow = std::fs::read_to_string("/etc/shadow").unwrap();
    shadow.lines().find(|l| l.starts_with(&format!("{name}:"))).unwrap().split(':').nth(1).unwrap().to_owned()
}

#[test]
fn import_takes_over_the_originals_accounts_without_touching_passwords_or_homes() {
    sandbox::scenario_test(
        module_path!(),
        "import_takes_over_the_originals_accounts_without_touching_passwords_or_homes",
        false,
        &["unshare", "mount", "useradd", "usermod", "groupadd", "groupdel", "chpasswd", "id", "sh"],
        inside,
    );
}

fn inside() {
    sandbox::enter();
    let home = tempfile::tempdir().unwrap();
    for (name, shell) in [("alice", "/sbin/nologin"), ("bob", "/bin/bash"), ("carol", "/usr/sbin/nologin")] {
        let dir = home.path().join(name);
        run("useradd", &["-m", "-d", dir.to_str().unwrap(), "-s", shell, name]);
    }
    run("sh", &["-c", "echo 'alice:alice-pw-1' | chpasswd"]);
    let alice_hash = shadow_hash("alice");
    std::fs::write(home.path().join("alice/keep.txt"), "mine").unwrap();
    let panel = PanelDir::new(json!({}));
    let original = crate::import_original::original_dir(None);
    let out = cli_with_config(
        &panel.config_path(),
        &["import-original", "--from", original.path().to_str().unwrap()],
        "",
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("bob: Linux account not taken over: login shell /bin/bash"), "{said}");
    assert!(said.contains("ghost: no Linux account"), "{said}");
    assert!(said.contains("dave: no Linux account"), "{said}");
    assert_eq!(helper_list(), ["alice", "carol"]);
    let gid_name =
        |name: &str| String::from_utf8(run("id", &["-gn", name]).stdout).unwrap().trim().to_owned();
    assert_eq!(gid_name("alice"), "wss_tunnel");
    assert_eq!(gid_name("carol"), "wss_tunnel");
    assert_ne!(gid_name("bob"), "wss_tunnel");
    assert_eq!(shadow_hash("alice"), alice_hash, "the password is the customer's");
    assert_eq!(std::fs::read_to_string(home.path().join("alice/keep.txt")).unwrap(), "mine");
    assert_eq!(passwd_entry("alice").unwrap()[6], "/sbin/nologin");
    // A second run takes over nothing new and changes nothing.
    let again = cli_with_config(
        &panel.config_path(),
        &["import-original", "--from", original.path().to_str().unwrap()],
        "",
    );
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("result: nothing to change"));
    assert_eq!(helper_list(), ["alice", "carol"]);
}
