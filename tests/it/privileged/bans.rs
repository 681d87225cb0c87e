//! IP bans through the real helper in a private network namespace: the rule appears in the
//! firewall, really drops the address's packets, and disappears again. nftables first; then
//! the iptables fallback with `nft` hidden.

use super::sandbox::{self, helper, helper_ok, run};
use std::net::SocketAddr;
use std::time::Duration;

#[test]
fn bans_appear_in_nftables_and_disappear_in_a_private_net_namespace() {
    sandbox::scenario_test(
        module_path!(),
        "bans_appear_in_nftables_and_disappear_in_a_private_net_namespace",
        true,
        &["unshare", "mount", "ip", "nft"],
        inside_nft_bans,
    );
}

#[test]
fn without_nft_bans_go_to_an_iptables_chain_of_their_own() {
    sandbox::scenario_test(
        module_path!(),
        "without_nft_bans_go_to_an_iptables_chain_of_their_own",
        true,
        &["unshare", "mount", "ip", "nft", "iptables", "ip6tables"],
        inside_iptables_bans,
    );
}

fn ruleset() -> String {
    String::from_utf8(run("nft", &["list", "ruleset"]).stdout).unwrap()
}

/// Can a TCP connection from `from` reach a listener on `to`? A dropped SYN shows up as a
/// connect that does not complete within the bound.
fn connects(from: &str, to: &str) -> bool {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind((to, 0)).await.unwrap();
        let target = listener.local_addr().unwrap();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(from.parse().unwrap(), 0)).unwrap();
        let attempt = tokio::time::timeout(Duration::from_millis(700), socket.connect(target));
        matches!(attempt.await, Ok(Ok(_)))
    })
}

fn inside_nft_bans() {
    sandbox::enter();
    for addr in ["203.0.113.7/32", "203.0.113.8/32"] {
        run("ip", &["addr", "add", addr, "dev", "lo"]);
    }
    assert!(connects("203.0.113.7", "203.0.113.8"));

    helper_ok(&["ban-ip", "203.0.113.7"], None);
    helper_ok(&["ban-ip", "203.0.113.7/32"], None);
    let rules = ruleset();
    assert!(rules.contains("table inet wss_panel"), "{rules}");
    assert_eq!(rules.matches("ip saddr 203.0.113.7 drop").count(), 1, "{rules}");
    assert!(!connects("203.0.113.7", "203.0.113.8"), "the ban did not drop");

    helper_ok(&["ban-ip", "198.51.100.0/24"], None);
    helper_ok(&["ban-ip", "198.51.100.128/25"], None);
    helper_ok(&["ban-ip", "2001:db8::/48"], None);
    helper_ok(&["unban-ip", "198.51.100.0/24"], None);
    let rules = ruleset();
    assert!(!rules.contains("198.51.100.0/24"), "{rules}");
    assert!(rules.contains("ip saddr 198.51.100.128/25 drop"), "{rules}");
    assert!(rules.contains("ip6 saddr 2001:db8::/48 drop"), "{rules}");

    for _ in 0..2 {
        helper_ok(&["unban-ip", "203.0.113.7"], None);
        assert!(!ruleset().contains("203.0.113.7"));
    }
    assert!(connects("203.0.113.7", "203.0.113.8"), "the unban did not restore");

    let before = ruleset();
    for wide in ["0.0.0.0/0", "::/0", "127.0.0.1", "10.0.0.1/8"] {
        assert_eq!(helper(&["ban-ip", wide], None).code, 65, "{wide}");
    }
    assert_eq!(ruleset(), before);
}

fn iptables_rules(tool: &str) -> String {
    String::from_utf8(run(tool, &["-w", "-S"]).stdout).unwrap()
}

fn inside_iptables_bans() {
    sandbox::enter();
    let nft = sandbox::find_tool("nft").unwrap();
    run("mount", &["--bind", "/dev/null", nft.to_str().unwrap()]);

    for _ in 0..2 {
        helper_ok(&["ban-ip", "203.0.113.7"], None);
    }
    helper_ok(&["ban-ip", "198.51.100.0/24"], None);
    helper_ok(&["ban-ip", "2001:db8::/48"], None);
    let v4 = iptables_rules("iptables");
    assert_eq!(v4.matches("-A INPUT -j WSS_IP_BLOCK").count(), 1, "{v4}");
    assert_eq!(v4.matches("-A WSS_IP_BLOCK -s 203.0.113.7/32 -j DROP").count(), 1, "{v4}");
    assert!(v4.contains("-A WSS_IP_BLOCK -s 198.51.100.0/24 -j DROP"), "{v4}");
    let v6 = iptables_rules("ip6tables");
    assert!(v6.contains("-A WSS_IP_BLOCK -s 2001:db8::/48 -j DROP"), "{v6}");

    for _ in 0..2 {
        helper_ok(&["unban-ip", "203.0.113.7"], None);
    }
    helper_ok(&["unban-ip", "2001:db8::/48"], None);
    let v4 = iptables_rules("iptables");
    assert!(!v4.contains("203.0.113.7"), "{v4}");
    assert!(v4.contains("198.51.100.0/24"), "{v4}");
    assert!(!iptables_rules("ip6tables").contains("2001:db8::/48"));
    assert_eq!(helper(&["ban-ip", "0.0.0.0/0"], None).code, 65);
}
