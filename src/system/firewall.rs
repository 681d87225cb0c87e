//! IP bans in the kernel firewall, in structures of our own so nothing else is touched:
//! nftables table `inet wss_panel` (chain `input`) when `nft` exists, else an iptables /
//! ip6tables chain `WSS_IP_BLOCK` jumped to from `INPUT`. One drop rule per ban, marked with
//! the ban's canonical text, so overlapping bans (`10.0.0.0/8` and `10.1.0.0/16`) coexist and
//! unbanning one leaves the other. Ban and unban are idempotent. Rules live until reboot; the
//! panel keeps the list and applies it again at start.

use super::error::HelperError;
use super::tool::{self, TOOL_TIMEOUT, expect_codes, run_ok, run_ok_with};
use super::validate::IpNet;

pub const NFT_TABLE: &str = "wss_panel";
pub const NFT_CHAIN: &str = "input";
pub const IPTABLES_CHAIN: &str = "WSS_IP_BLOCK";

pub fn ban(net: IpNet) -> Result<(), HelperError> {
    if tool::locate("nft").is_some() {
        nft::ensure_chain()?;
        if nft::handles(net)?.is_empty() {
            nft::script(&format!(
                "add rule inet {NFT_TABLE} {NFT_CHAIN} {} saddr {} drop comment \"{}\"\n",
                if net.is_ipv4() { "ip" } else { "ip6" },
                net.cidr(),
                nft::comment(net)
            ))?;
        }
        Ok(())
    } else {
        let ipt = iptables::for_family(net);
        iptables::ensure_chain(ipt)?;
        if !iptables::has_rule(ipt, net)? {
            run_ok(ipt, &iptables::rule("-A", net))?;
        }
        Ok(())
    }
}

pub fn unban(net: IpNet) -> Result<(), HelperError> {
    if tool::locate("nft").is_some() {
        nft::ensure_chain()?;
        for handle in nft::handles(net)? {
            let handle = handle.to_string();
            run_ok("nft", &["delete", "rule", "inet", NFT_TABLE, NFT_CHAIN, "handle", &handle])?;
        }
        Ok(())
    } else {
        let ipt = iptables::for_family(net);
        iptables::ensure_chain(ipt)?;
        while iptables::has_rule(ipt, net)? {
            run_ok(ipt, &iptables::rule("-D", net))?;
        }
        Ok(())
    }
}

mod nft {
    use super::*;

    pub fn comment(net: IpNet) -> String {
        format!("wss-panel ban {net}")
    }

    /// Our script goes to `nft -f -`; every piece of it is a constant or a validated value.
    pub fn script(text: &str) -> Result<(), HelperError> {
        run_ok_with("nft", &["-f", "-"], Some(text.as_bytes()), TOOL_TIMEOUT).map(drop)
    }

    /// `add` is a no-op for a table or chain that already exists.
    pub fn ensure_chain() -> Result<(), HelperError> {
        script(&format!(
            "add table inet {NFT_TABLE}\n\
             add chain inet {NFT_TABLE} {NFT_CHAIN} \
             {{ type filter hook input priority -10; policy accept; }}\n"
        ))
    }

    /// Handles of the rules that carry this ban's comment (read from `nft -j`).
    pub fn handles(net: IpNet) -> Result<Vec<u64>, HelperError> {
        let out = run_ok("nft", &["-j", "list", "chain", "inet", NFT_TABLE, NFT_CHAIN])?;
        let json: serde_json::Value =
            serde_json::from_str(&out.stdout).map_err(|e| HelperError::ToolFailed {
                tool: "nft",
                code: Some(0),
                stderr: format!("unreadable JSON listing: {e}"),
            })?;
        let wanted = comment(net);
        let rules = json["nftables"].as_array().cloned().unwrap_or_default();
        Ok(rules
            .iter()
            .map(|item| &item["rule"])
            .filter(|rule| rule["comment"].as_str() == Some(wanted.as_str()))
            .filter_map(|rule| rule["handle"].as_u64())
            .collect())
    }
}

mod iptables {
    use super::*;

    pub fn for_family(net: IpNet) -> &'static str {
        if net.is_ipv4() { "iptables" } else { "ip6tables" }
    }

    pub fn rule(action: &str, net: IpNet) -> Vec<String> {
        let cidr = net.cidr();
        ["-w", action, IPTABLES_CHAIN, "-s", &cidr, "-j", "DROP"].map(str::to_owned).to_vec()
    }

    /// `-C` exits 1 when the rule is absent; other codes are real failures.
    pub fn has_rule(ipt: &'static str, net: IpNet) -> Result<bool, HelperError> {
        let out = tool::run(ipt, &rule("-C", net), None, TOOL_TIMEOUT)?;
        Ok(expect_codes(ipt, out, &[0, 1])?.code == Some(0))
    }

    pub fn ensure_chain(ipt: &'static str) -> Result<(), HelperError> {
        let listed = tool::run(ipt, &["-w", "-S", IPTABLES_CHAIN], None, TOOL_TIMEOUT)?;
        if listed.code != Some(0) {
            run_ok(ipt, &["-w", "-N", IPTABLES_CHAIN])?;
        }
        let jump = ["-w", "-C", "INPUT", "-j", IPTABLES_CHAIN];
        let present = tool::run(ipt, &jump, None, TOOL_TIMEOUT)?;
        if expect_codes(ipt, present, &[0, 1])?.code == Some(1) {
            run_ok(ipt, &["-w", "-I", "INPUT", "1", "-j", IPTABLES_CHAIN])?;
        }
        Ok(())
    }
}
