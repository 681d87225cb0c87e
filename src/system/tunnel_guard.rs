//! Tunnel customers stay off this host's own services. sshd opens a customer's forwarded
//! connections (`ssh -L`, `-D`, `-W`) from the session process, which runs with the account's
//! uid and primary gid, [`TUNNEL_GROUP`]. The kernel refuses every connection of that group
//! to an address of this host (`fib daddr type local`: 127.0.0.0/8, ::1 and every public
//! address) except the services meant for customers on loopback: the UDPGW port and DNS (53,
//! for a local resolver such as systemd-resolved's 127.0.0.53, which sshd asks when a client
//! forwards to a name). The internet stays reachable.
//!
//! In structures of our own, replaced whole on every apply (idempotent): nftables table
//! `inet wss_panel_tunnel` (chain `output`) when `nft` exists, else an iptables / ip6tables
//! chain `WSS_TUNNEL_GUARD` jumped to from `OUTPUT` (`-m owner --gid-owner`, `-m addrtype`).
//! Rules live until reboot; the panel applies them again at start, as does install.sh.

use super::accounts::State;
use super::error::HelperError;
use super::tool::{self, TOOL_TIMEOUT, expect_codes, run_ok, run_ok_with};
use super::users::{TUNNEL_GROUP, adopt_listed_accounts, ensure_tunnel_group};

pub const NFT_TABLE: &str = "wss_panel_tunnel";
pub const NFT_CHAIN: &str = "output";
pub const IPTABLES_CHAIN: &str = "WSS_TUNNEL_GUARD";
/// A loopback DNS resolver answers the names sshd resolves for customers.
pub const DNS_PORT: u16 = 53;
/// Every rule carries this comment (the doctor looks for it).
pub const RULE_COMMENT: &str = "wss-panel tunnel guard";

/// `guard-tunnels UDPGW_PORT`: group, accounts, firewall. Says what it applied.
pub fn apply(state: &State, udpgw_port: u16) -> Result<String, HelperError> {
    let gid = ensure_tunnel_group()?;
    let adopted = adopt_listed_accounts(state, gid)?;
    let backend = if tool::locate("nft").is_some() {
        run_ok_with("nft", &["-f", "-"], Some(nft_script(gid, udpgw_port).as_bytes()), TOOL_TIMEOUT)?;
        "nftables"
    } else {
        iptables::apply(gid, udpgw_port)?;
        "iptables"
    };
    Ok(format!("{TUNNEL_GROUP} gid {gid}; {adopted} account(s) moved into it; {backend} rules applied\n"))
}

/// The ports on loopback the group may still open.
fn allowed_ports(udpgw_port: u16) -> Vec<u16> {
    let mut ports = vec![DNS_PORT];
    if udpgw_port != 0 && udpgw_port != DNS_PORT {
        ports.push(udpgw_port);
    }
    ports
}

/// The whole table, replaced in one transaction (`table` + `delete table` makes the delete
/// succeed on the first run too). No I/O.
pub fn nft_script(gid: u32, udpgw_port: u16) -> String {
    let ports = allowed_ports(udpgw_port).iter().map(u16::to_string).collect::<Vec<_>>().join(", ");
    let c = RULE_COMMENT;
    format!(
        "table inet {NFT_TABLE} {{}}\n\
         delete table inet {NFT_TABLE}\n\
         table inet {NFT_TABLE} {{\n\
         \tchain {NFT_CHAIN} {{\n\
         \t\ttype filter hook output priority filter; policy accept;\n\
         \t\tmeta skgid {gid} ip daddr 127.0.0.0/8 meta l4proto {{ tcp, udp }} th dport {{ {ports} }} accept comment \"{c}: allowed on loopback\"\n\
         \t\tmeta skgid {gid} ip6 daddr ::1 meta l4proto {{ tcp, udp }} th dport {{ {ports} }} accept comment \"{c}: allowed on loopback\"\n\
         \t\tmeta skgid {gid} fib daddr type local meta l4proto tcp reject with tcp reset comment \"{c}\"\n\
         \t\tmeta skgid {gid} fib daddr type local reject comment \"{c}\"\n\
         \t}}\n\
         }}\n"
    )
}

mod iptables {
    use super::*;

    /// The chain's rules for one family, in order (`-A CHAIN ...` arguments). No I/O.
    pub fn rules(gid: u32, udpgw_port: u16, v6: bool) -> Vec<Vec<String>> {
        let (gid, lo) = (gid.to_string(), if v6 { "::1/128" } else { "127.0.0.0/8" });
        let owner = ["-m", "owner", "--gid-owner", &gid].map(str::to_owned);
        let mut out = Vec::new();
        for port in allowed_ports(udpgw_port) {
            for proto in ["tcp", "udp"] {
                let mut rule = owner.to_vec();
                let port = port.to_string();
                rule.extend(["-d", lo, "-p", proto, "--dport", &port, "-j", "ACCEPT"].map(str::to_owned));
                out.push(rule);
            }
        }
        let local = ["-m", "addrtype", "--dst-type", "LOCAL"];
        let mut tcp = owner.to_vec();
        tcp.extend(
            local
                .iter()
                .copied()
                .chain(["-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"])
                .map(str::to_owned),
        );
        out.push(tcp);
        let mut rest = owner.to_vec();
        rest.extend(local.iter().copied().chain(["-j", "REJECT"]).map(str::to_owned));
        out.push(rest);
        out
    }

    pub fn apply(gid: u32, udpgw_port: u16) -> Result<(), HelperError> {
        for (ipt, v6) in [("iptables", false), ("ip6tables", true)] {
            let listed = tool::run(ipt, &["-w", "-S", IPTABLES_CHAIN], None, TOOL_TIMEOUT)?;
            if listed.code == Some(0) {
                run_ok(ipt, &["-w", "-F", IPTABLES_CHAIN])?;
            } else {
                run_ok(ipt, &["-w", "-N", IPTABLES_CHAIN])?;
            }
            for rule in rules(gid, udpgw_port, v6) {
                let mut args = vec!["-w".to_owned(), "-A".to_owned(), IPTABLES_CHAIN.to_owned()];
                args.extend(rule);
                run_ok(ipt, &args)?;
            }
            let jump = ["-w", "-C", "OUTPUT", "-j", IPTABLES_CHAIN];
            let present = tool::run(ipt, &jump, None, TOOL_TIMEOUT)?;
            if expect_codes(ipt, present, &[0, 1])?.code == Some(1) {
                run_ok(ipt, &["-w", "-I", "OUTPUT", "1", "-j", IPTABLES_CHAIN])?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nft_table_rejects_the_groups_local_traffic_after_the_allowed_ports() {
        let script = nft_script(1234, 7300);
        assert!(script.starts_with("table inet wss_panel_tunnel {}\ndelete table inet wss_panel_tunnel\n"));
        let rules: Vec<&str> = script.lines().filter(|l| l.contains("meta skgid 1234")).collect();
        assert_eq!(rules.len(), 4, "{script}");
        assert!(rules[0].contains("127.0.0.0/8") && rules[0].contains("{ 53, 7300 } accept"));
        assert!(rules[1].contains("ip6 daddr ::1") && rules[1].contains("accept"));
        assert!(rules[2..].iter().all(|r| r.contains("fib daddr type local") && r.contains("reject")));
        assert!(nft_script(1234, 0).contains("th dport { 53 } accept"));
    }

    #[test]
    fn the_iptables_chain_has_the_same_shape() {
        let v4 = iptables::rules(1234, 7300, false);
        assert_eq!(v4.len(), 6);
        assert_eq!(v4[2].join(" "), "-m owner --gid-owner 1234 -d 127.0.0.0/8 -p tcp --dport 7300 -j ACCEPT");
        assert!(v4[4].join(" ").ends_with("--dst-type LOCAL -p tcp -j REJECT --reject-with tcp-reset"));
        assert!(iptables::rules(1234, 7300, true)[0].contains(&"::1/128".to_owned()));
    }
}
