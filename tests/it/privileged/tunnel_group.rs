//! The tunnel group and its firewall through the real helper, in the sandbox with a private
//! network namespace: new accounts get `wss_tunnel` as primary group, accounts already on the
//! helper's list are moved into it by `guard-tunnels` (their own group goes), foreign accounts
//! are untouched; a process of the group is refused local addresses except the UDPGW port,
//! with nftables and with the iptables fallback.

use super::sandbox::{self, helper_ok, passwd_entry, run};
use std::net::TcpListener;
use std::process::Command;

const TUNNEL_GROUP: &str = "wss_tunnel";

#[test]
fn tunnel_accounts_get_the_tunnel_group_and_listed_older_ones_are_moved_into_it() {
    sandbox::scenario_test(
        module_path!(),
        "tunnel_accounts_get_the_tunnel_group_and_listed_older_ones_are_moved_into_it",
        true,
        &[
            "unshare", "mount", "ip", "nft", "useradd", "usermod", "userdel", "groupadd", "groupdel",
            "setpriv", "bash",
        ],
        inside_nft,
    );
}

#[test]
fn without_nft_the_tunnel_guard_is_an_iptables_chain_that_refuses_local_addresses() {
    sandbox::scenario_test(
        module_path!(),
        "without_nft_the_tunnel_guard_is_an_iptables_chain_that_refuses_local_addresses",
        true,
        &["unshare", "mount", "ip", "nft", "iptables", "ip6tables", "useradd", "groupadd", "setpriv", "bash"],
        inside_iptables,
    );
}

fn primary_group(name: &str) -> String {
    String::from_utf8(run("id", &["-gn", name]).stdout).unwrap().trim().to_owned()
}

fn has_group(name: &str) -> bool {
    std::fs::read_to_string("/etc/group").unwrap().lines().any(|l| l.starts_with(&format!("{name}:")))
}

/// Does a TCP connect to 127.0.0.1:`port` succeed for a process with `name`'s uid and gid?
fn connects_as(name: &str, port: u16) -> bool {
    let entry = passwd_entry(name).unwrap();
    let probe = format!("exec 3<>/dev/tcp/127.0.0.1/{port}");
    Command::new("setpriv")
        .args([&format!("--reuid={}", entry[2]), &format!("--regid={}", entry[3]), "--clear-groups"])
        .args(["bash", "-c", &probe])
        .status()
        .unwrap()
        .success()
}

/// Listeners on 127.0.0.1: the UDPGW port and another local service (kept open by the caller).
fn listeners() -> (TcpListener, TcpListener) {
    (TcpListener::bind("127.0.0.1:0").unwrap(), TcpListener::bind("127.0.0.1:0").unwrap())
}

fn inside_nft() {
    sandbox::enter();
    helper_ok(&["create-user", "tun1"], None);
    assert_eq!(primary_group("tun1"), TUNNEL_GROUP);
    assert!(!has_group("tun1"), "a group of its own was made");

    // Taken over: an account on the helper's list made by an older release (its own group).
    run("useradd", &["-M", "-s", "/usr/sbin/nologin", "--user-group", "old1"]);
    let mut list = std::fs::read_to_string(sandbox::STATE_FILE).unwrap();
    list.push_str("old1\n");
    std::fs::write(sandbox::STATE_FILE, list).unwrap();
    run("useradd", &["-M", "-s", "/usr/sbin/nologin", "--user-group", "foreign1"]);
    let (udpgw, service) = listeners();
    let udpgw_port = udpgw.local_addr().unwrap().port().to_string();
    helper_ok(&["guard-tunnels", &udpgw_port], None);
    assert_eq!(primary_group("old1"), TUNNEL_GROUP);
    assert!(!has_group("old1"), "old1's own group is left behind");
    assert_eq!(primary_group("foreign1"), "foreign1", "an account not on the list was changed");

    let ruleset = || run("nft", &["list", "ruleset"]).stdout;
    let first = ruleset();
    helper_ok(&["guard-tunnels", &udpgw_port], None);
    assert_eq!(ruleset(), first, "a second apply changed the rules");

    let service_port = service.local_addr().unwrap().port();
    for user in ["tun1", "old1"] {
        assert!(!connects_as(user, service_port), "{user} reached a local service");
        assert!(connects_as(user, udpgw.local_addr().unwrap().port()), "{user} cannot reach UDPGW");
    }
    assert!(connects_as("foreign1", service_port), "an account outside the group was refused");

    // The freed name can be used again.
    helper_ok(&["delete-user", "old1"], None);
    helper_ok(&["create-user", "old1"], None);
}

fn inside_iptables() {
    sandbox::enter();
    let nft = sandbox::find_tool("nft").unwrap();
    run("mount", &["--bind", "/dev/null", nft.to_str().unwrap()]);
    run("useradd", &["-M", "-s", "/usr/sbin/nologin", "outsider"]);
    helper_ok(&["create-user", "tun1"], None);
    let (udpgw, service) = listeners();
    let udpgw_port = udpgw.local_addr().unwrap().port().to_string();
    for _ in 0..2 {
        helper_ok(&["guard-tunnels", &udpgw_port], None);
    }
    for tool in ["iptables", "ip6tables"] {
        let rules = String::from_utf8(run(tool, &["-w", "-S"]).stdout).unwrap();
        assert_eq!(rules.matches("-A OUTPUT -j WSS_TUNNEL_GUARD").count(), 1, "{rules}");
        assert_eq!(rules.matches("-A WSS_TUNNEL_GUARD").count(), 6, "{rules}");
    }
    let service_port = service.local_addr().unwrap().port();
    assert!(!connects_as("tun1", service_port), "tun1 reached a local service");
    assert!(connects_as("tun1", udpgw.local_addr().unwrap().port()), "tun1 cannot reach UDPGW");
    assert!(connects_as("outsider", service_port), "an account outside the group was refused");
}
