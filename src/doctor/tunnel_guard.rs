//! Doctor check: the kernel keeps tunnel customers off this host's own services (the rules
//! of [`crate::system::tunnel_guard`] for the current gid of the tunnel group, with the
//! configured UDPGW port let through). Read-only; needs root to list the firewall.

use super::Check;
use super::probe::{one_line, run};
use crate::config::Config;
use crate::system::tunnel_guard::{IPTABLES_CHAIN, NFT_CHAIN, NFT_TABLE};
use crate::system::users::TUNNEL_GROUP;
use serde_json::Value;

const NAME: &str = "tunnel guard";

pub fn tunnel_guard(config: &Config) -> Check {
    let fix = format!(
        "systemctl restart wss_panel (it applies the rules at start), or: wss-panel privileged guard-tunnels {}",
        config.udpgw_port
    );
    let gid = match nix::unistd::Group::from_name(TUNNEL_GROUP) {
        Ok(Some(group)) => group.gid.as_raw(),
        _ => return Check::problem(NAME, format!("group {TUNNEL_GROUP} does not exist"), fix),
    };
    if !nix::unistd::geteuid().is_root() {
        return Check::problem(NAME, "not checked: doctor runs as a normal user", "sudo wss-panel doctor");
    }
    let found = if crate::system::tool::locate("nft").is_some() {
        nft_guard(gid, config.udpgw_port)
    } else {
        iptables_guard(gid, config.udpgw_port)
    };
    match found {
        Ok(how) => Check::ok(NAME, format!("{TUNNEL_GROUP} (gid {gid}) {how}")),
        Err(why) => Check::problem(NAME, why, fix),
    }
}

fn nft_guard(gid: u32, udpgw_port: u16) -> Result<String, String> {
    let listed = run("nft", &["-j", "list", "chain", "inet", NFT_TABLE, NFT_CHAIN])?;
    if !listed.ok {
        return Err(format!("no nftables chain inet {NFT_TABLE} {NFT_CHAIN}: {}", one_line(&listed.output)));
    }
    let json: Value = serde_json::from_str(&listed.output).map_err(|e| format!("unreadable nft -j: {e}"))?;
    judge_nft(&json, gid, udpgw_port)
}

/// Is there a reject for the group's local traffic, and (if there is a UDPGW) an accept for
/// its port? No I/O.
pub fn judge_nft(json: &Value, gid: u32, udpgw_port: u16) -> Result<String, String> {
    // The expressions of each rule that matches the group's gid.
    let group_rules: Vec<Vec<Value>> = json["nftables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["rule"]["expr"].as_array().cloned())
        .filter(|e| {
            e.iter().any(|x| x["match"]["left"]["meta"]["key"] == "skgid" && x["match"]["right"] == gid)
        })
        .collect();
    let rejects = group_rules.iter().any(|e| {
        e.iter().any(|x| x["match"]["left"]["fib"]["flags"][0] == "daddr" && x["match"]["right"] == "local")
            && e.iter().any(|x| x.get("reject").is_some())
    });
    if !rejects {
        return Err(format!("inet {NFT_TABLE} has no reject for gid {gid} to local addresses"));
    }
    let lets_udpgw = group_rules.iter().any(|e| {
        e.iter().any(|x| x.get("accept").is_some())
            && e.iter().any(|x| {
                let right = &x["match"]["right"];
                x["match"]["left"]["payload"]["field"] == "dport"
                    && (*right == udpgw_port
                        || right["set"].as_array().is_some_and(|s| s.contains(&udpgw_port.into())))
            })
    });
    if udpgw_port != 0 && !lets_udpgw {
        return Err(format!("inet {NFT_TABLE} does not let gid {gid} reach udpgw_port {udpgw_port}"));
    }
    Ok(format!("is refused this host's addresses except udpgw {udpgw_port} (nftables inet {NFT_TABLE})"))
}

fn iptables_guard(gid: u32, udpgw_port: u16) -> Result<String, String> {
    for ipt in ["iptables", "ip6tables"] {
        let chain = run(ipt, &["-w", "-S", IPTABLES_CHAIN])?;
        let output = run(ipt, &["-w", "-S", "OUTPUT"])?;
        let owner = format!("--gid-owner {gid}");
        let rejects = chain.output.lines().any(|l| l.contains(&owner) && l.contains("-j REJECT"));
        let udpgw = format!("--dport {udpgw_port} -j ACCEPT");
        let lets = udpgw_port == 0 || chain.output.lines().any(|l| l.contains(&owner) && l.contains(&udpgw));
        let jumped = output.output.lines().any(|l| l == format!("-A OUTPUT -j {IPTABLES_CHAIN}"));
        if !(chain.ok && rejects && lets && jumped) {
            return Err(format!(
                "{ipt} chain {IPTABLES_CHAIN} is missing, incomplete or not jumped to from OUTPUT"
            ));
        }
    }
    Ok(format!("is refused this host's addresses except udpgw {udpgw_port} (iptables {IPTABLES_CHAIN})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_without_the_reject_or_the_udpgw_accept_is_a_problem() {
        let rule = |exprs: Value| serde_json::json!({ "rule": { "expr": exprs } });
        let skgid = serde_json::json!({ "match": { "op": "==", "left": { "meta": { "key": "skgid" } }, "right": 1001 } });
        let fib = serde_json::json!({ "match": { "op": "==", "left": { "fib": { "result": "type", "flags": ["daddr"] } }, "right": "local" } });
        let dport = serde_json::json!({ "match": { "op": "==", "left": { "payload": { "protocol": "th", "field": "dport" } }, "right": { "set": [53, 7300] } } });
        let reject = rule(serde_json::json!([skgid, fib, { "reject": null }]));
        let accept = rule(serde_json::json!([skgid, dport, { "accept": null }]));
        let both = serde_json::json!({ "nftables": [accept, reject] });
        assert!(judge_nft(&both, 1001, 7300).is_ok());
        assert!(judge_nft(&both, 1002, 7300).is_err(), "another gid");
        assert!(judge_nft(&both, 1001, 7400).is_err(), "another udpgw port");
        assert!(judge_nft(&serde_json::json!({ "nftables": [accept] }), 1001, 7300).is_err());
    }
}
