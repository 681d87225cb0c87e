//! The pure rewrites, on the files install.sh renders from its templates.

use super::*;

fn stunnel_conf(accept: &str) -> String {
    include_str!("../../../install/templates/stunnel-wss.conf")
        .replace("@STUNNEL_ACCEPT@", accept)
        .replace("@STUNNEL_PORT@", "444")
        .replace("@SSHD_STUNNEL_PORT@", "2222")
}

fn sshd_conf() -> String {
    include_str!("../../../install/templates/sshd_config_stunnel").replace("@SSHD_STUNNEL_PORT@", "2222")
}

/// The lines of `a` and `b` that differ, as pairs.
fn changed<'a>(a: &'a str, b: &'a str) -> Vec<(&'a str, &'a str)> {
    assert_eq!(a.lines().count(), b.lines().count());
    a.lines().zip(b.lines()).filter(|(x, y)| x != y).collect()
}

const DOORS: DoorPorts = DoorPorts { stunnel: 8444, sshd: 8222 };

#[test]
fn the_installers_files_change_only_in_their_port_lines() {
    for (accept, want) in [(":::444", "accept = :::8444"), ("444", "accept = 8444")] {
        let before = stunnel_conf(accept);
        assert_eq!(current(&before, &sshd_conf()), Ok(DoorPorts { stunnel: 444, sshd: 2222 }));
        let after = rewrite_stunnel(&before, DOORS).unwrap();
        let accept_line = format!("accept = {accept}");
        assert_eq!(
            changed(&before, &after),
            [(accept_line.as_str(), want), ("connect = 127.0.0.1:2222", "connect = 127.0.0.1:8222")]
        );
        assert!(after.ends_with('\n'));
    }
    let before = sshd_conf();
    let after = rewrite_sshd(&before, 8222).unwrap();
    assert_eq!(changed(&before, &after), [("Port 2222", "Port 8222")]);
    assert_eq!(current(&stunnel_conf(":::8444"), &after).map(|d| d.sshd), Ok(8222));
}

#[test]
fn files_install_sh_did_not_write_are_refused() {
    let two_accepts = format!("{}accept = 9999\n", stunnel_conf(":::444"));
    assert!(rewrite_stunnel(&two_accepts, DOORS).unwrap_err().contains("more than one accept"));
    let remote = stunnel_conf(":::444").replace("127.0.0.1:2222", "203.0.113.9:22");
    assert!(rewrite_stunnel(&remote, DOORS).unwrap_err().contains("127.0.0.1"));
    let no_port = sshd_conf().replace("Port 2222\n", "");
    assert!(rewrite_sshd(&no_port, 8222).unwrap_err().contains("no port line"));
    let own_port = sshd_conf().replace("ListenAddress 127.0.0.1", "ListenAddress 127.0.0.1:2222");
    assert!(rewrite_sshd(&own_port, 8222).unwrap_err().contains("names its own port"));
    let commented = sshd_conf().replace("Port 2222", "#Port 2222\nport=2222");
    assert_eq!(changed(&commented, &rewrite_sshd(&commented, 1).unwrap()), [("port=2222", "Port 1")]);
}

#[test]
fn config_json_keeps_every_other_key_and_is_validated_as_at_start() {
    let text = r#"{"internal_api_secret":"0123456789abcdef0123","panel_port":54321,"wss_http_port":80,
        "wss_tls_port":443,"stunnel_port":444,"udpgw_port":7300,"internal_forward_port":22}"#;
    let out: Value = serde_json::from_str(&config_with_doors(text, DOORS).unwrap()).unwrap();
    assert_eq!((out["stunnel_port"].as_u64(), out["sshd_stunnel_port"].as_u64()), (Some(8444), Some(8222)));
    assert_eq!(out["internal_api_secret"], "0123456789abcdef0123");
    for clash in [DoorPorts { stunnel: 54321, sshd: 8222 }, DoorPorts { stunnel: 8444, sshd: 80 }] {
        assert!(
            config_with_doors(text, clash).unwrap_err().contains("each port must be different"),
            "{clash:?}"
        );
    }
    assert!(config_with_doors("[]", DOORS).is_err());
}

#[test]
fn another_programs_port_and_a_swap_are_refused_the_doors_own_are_not() {
    let now = DoorPorts { stunnel: 444, sshd: 2222 };
    let busy: HashSet<u16> = [444, 2222, 80].into();
    assert!(refuse_taken(DoorPorts { stunnel: 444, sshd: 2223 }, now, &busy).is_ok());
    assert!(refuse_taken(DoorPorts { stunnel: 445, sshd: 2222 }, now, &busy).is_ok());
    for bad in [
        DoorPorts { stunnel: 80, sshd: 2222 },
        DoorPorts { stunnel: 444, sshd: 80 },
        DoorPorts { stunnel: 2222, sshd: 444 },
    ] {
        let e = refuse_taken(bad, now, &busy).unwrap_err();
        assert!(e.to_string().contains("in use by another program"), "{bad:?}: {e}");
    }
}
