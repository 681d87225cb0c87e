use super::*;

#[test]
fn hosts_and_networks_parse_to_a_canonical_form() {
    for (raw, shown) in [
        ("203.0.113.7", "203.0.113.7"),
        ("203.0.113.7/32", "203.0.113.7"),
        ("198.51.100.0/24", "198.51.100.0/24"),
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:db8::/32", "2001:db8::/32"),
        ("2001:0db8:0000::/48", "2001:db8::/48"),
    ] {
        let net = IpNet::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
        assert_eq!(net.to_string(), shown);
        assert_eq!(IpNet::parse(shown), Ok(net));
    }
    assert_eq!(IpNet::parse("203.0.113.7").unwrap().cidr(), "203.0.113.7/32");
}

#[test]
fn bans_that_are_too_wide_or_hit_ourselves_are_refused() {
    for bad in [
        "0.0.0.0/0",
        "::/0",
        "0.0.0.0",
        "::",
        "0.0.0.0/8",
        "::/32",
        "127.0.0.1",
        "127.0.0.0/8",
        "127.5.0.0/16",
        "::1",
        "1.0.0.0/7",
        "2000::/31",
        "10.1.2.3/8",
        "1.2.3.4/33",
        "::ffff:1.2.3.4",
        "::ffff:0.0.0.0/96",
    ] {
        assert!(matches!(IpNet::parse(bad), Err(ArgError::Net(..))), "{bad}");
    }
}

#[test]
fn malformed_addresses_are_refused() {
    for bad in [
        "",
        "-o",
        "root",
        "1.2.3.4/",
        "1.2.3.4/+8",
        "1.2.3.4/ 8",
        " 1.2.3.4",
        "1.2.3.4 ",
        "1.2.3.4,5.6.7.8",
        "1.2.3.4/8/8",
        "1.2.3.4/0008",
        "1.2.3",
        "1.2.3.4\n",
        "1.2.3.4\0",
        "fe80::1%eth0",
        "[::1]",
    ] {
        assert!(IpNet::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn networks_contain_their_own_addresses_only() {
    let net = IpNet::parse("198.51.100.0/24").unwrap();
    assert!(net.contains("198.51.100.200".parse().unwrap()));
    assert!(!net.contains("198.51.101.1".parse().unwrap()));
    assert!(!net.contains("::1".parse().unwrap()));
    let v6 = IpNet::parse("2001:db8::/32").unwrap();
    assert!(v6.contains("2001:db8:ffff::1".parse().unwrap()));
}

#[test]
fn the_admin_cannot_ban_their_own_address() {
    let admin = "198.51.100.9".parse().unwrap();
    assert!(ban_target("198.51.100.0/24", admin).is_err());
    assert!(ban_target("198.51.100.9", admin).is_err());
    assert!(ban_target("198.51.101.0/24", admin).is_ok());
}

#[test]
fn only_the_four_services_are_known() {
    for s in Service::ALL {
        assert_eq!(Service::parse(s.as_str()), Ok(s));
    }
    assert_eq!(Service::SshdStunnel.unit(), "sshd_stunnel.service");
    for bad in ["", "sshd", "ssh", "wss.service", "../wss", "wss;reboot", "-o", "WSS", "wss "] {
        assert!(Service::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn log_line_counts_are_small_plain_numbers() {
    assert_eq!(LogLines::parse("1").map(LogLines::get), Ok(1));
    assert_eq!(LogLines::parse("1000").map(LogLines::get), Ok(1000));
    for bad in ["0", "1001", "-1", "+5", "1e3", " 10", "10 ", "", "99999", "0x10"] {
        assert!(LogLines::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn refusal_messages_stay_on_one_line_and_short() {
    let long = format!("a\nb{}", "x".repeat(500));
    let msg = username(&long).unwrap_err().to_string();
    assert!(!msg.contains('\n'), "{msg}");
    assert!(msg.len() < 200, "{msg}");
    assert!(msg.contains("lowercase letter"), "{msg}");
}

#[test]
fn helper_paths_must_be_plain_and_absolute() {
    assert!(helper_path("/usr/local/bin/wss-panel").is_ok());
    for bad in
        ["wss-panel", "/usr/bin/x y", "/bin/sh,/usr/bin/x", "/a/*", "/a/../bin/sh", "/a:b", "/a\\b", ""]
    {
        assert!(helper_path(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn ports_are_plain_numbers_up_to_65535() {
    assert_eq!(port("7300"), Ok(7300));
    assert_eq!(port("0"), Ok(0));
    assert_eq!(port("65535"), Ok(65535));
    for bad in ["65536", "-1", "+80", " 80", "80 ", "", "123456", "0x50", "7300/tcp"] {
        assert!(port(bad).is_err(), "{bad:?}");
    }
}
