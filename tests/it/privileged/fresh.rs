//! The sandbox itself: whatever the host is (people's accounts, a past install, systemd as
//! PID 1, its own sudo rules), a scenario starts on what looks like a fresh machine.

use super::sandbox;
use std::path::Path;

#[test]
fn the_sandbox_shows_a_fresh_machine_whatever_the_host_ran_before() {
    sandbox::scenario_test(
        module_path!(),
        "the_sandbox_shows_a_fresh_machine_whatever_the_host_ran_before",
        false,
        &["unshare", "mount", "awk", "visudo", "useradd"],
        inside,
    );
}

fn inside() {
    sandbox::enter();
    let read = |p: &str| std::fs::read_to_string(p).unwrap();
    let people: Vec<String> = read("/etc/passwd")
        .lines()
        .filter(|l| {
            l.split(':')
                .nth(2)
                .and_then(|u| u.parse::<u32>().ok())
                .is_some_and(|u| (1000..65534).contains(&u))
        })
        .map(str::to_owned)
        .collect();
    assert!(people.is_empty(), "the host's accounts show in the sandbox: {people:?}");
    assert!(read("/etc/passwd").lines().any(|l| l.starts_with("root:x:0:")), "root is gone");
    assert!(read("/etc/passwd").lines().any(|l| l.starts_with("nobody:")), "nobody is gone");
    for (file, names) in [
        ("/etc/passwd", &["wss-panel"][..]),
        ("/etc/shadow", &["wss-panel"][..]),
        ("/etc/group", &["wss-panel", "shell_users", "wss_tunnel"][..]),
        ("/etc/gshadow", &["wss-panel", "shell_users", "wss_tunnel"][..]),
    ] {
        for name in names {
            let line = read(file).lines().find(|l| l.starts_with(&format!("{name}:"))).map(str::to_owned);
            assert_eq!(line, None, "{file} has the project's {name} from the host");
        }
    }
    // Every remaining account named in a group still exists.
    let users: Vec<String> =
        read("/etc/passwd").lines().map(|l| l.split(':').next().unwrap().to_owned()).collect();
    for line in read("/etc/group").lines() {
        let members = line.rsplit(':').next().unwrap();
        for member in members.split(',').filter(|m| !m.is_empty()) {
            assert!(users.iter().any(|u| u == member), "group line `{line}` names a removed account");
        }
    }
    // The pieces the sandbox hides from its scenarios.
    for path in ["/run/systemd/system", "/var/lib/wss-panel", "/var/lib/wss-panel-installer"] {
        assert!(!Path::new(path).exists(), "{path} shows through from the host");
    }
    let extra: Vec<_> = std::fs::read_dir("/etc/sudoers.d")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README")
        .collect();
    assert!(extra.is_empty(), "the host's sudoers drop-ins show: {extra:?}");
    sandbox::run("visudo", &["-c", "-q"]);
    // A scenario's first account gets a fresh machine's first uid, whoever the host has.
    sandbox::run("useradd", &["-M", "-s", "/usr/sbin/nologin", "wsst-fresh1"]);
    let entry = sandbox::passwd_entry("wsst-fresh1").unwrap();
    assert_eq!(entry[2], "1000", "{entry:?}");
}
