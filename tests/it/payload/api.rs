//! The admin API around the generator: the public address (validated, audited, changes
//! nothing when refused), the generator's refusals, and the SNI finder's address policy,
//! admin auth and CSRF gate.

use crate::helpers::PanelDir;
use crate::helpers::browser_session::{BrowserSession, raw};
use serde_json::json;

fn public(host: &str) -> serde_json::Value {
    json!({ "host": host, "sni": "", "wss_port": 80, "wss_tls_port": 443, "stunnel_port": 444, "udpgw_port": 7300 })
}

#[test]
fn the_public_address_is_validated_and_a_refused_one_changes_nothing() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let unset = panel.api("GET", "/api/public-address", None).json;
    assert_eq!(unset["host"], "");
    assert_eq!((unset["wss_port"].as_u64(), unset["stunnel_port"].as_u64()), (Some(80), Some(444)));
    assert_eq!(panel.api("PUT", "/api/public-address", Some(public("VPN.Example.com"))).status, 200);
    let audits = panel.audit_total();
    for bad in [public("http://x"), public("a b"), public("x.com:80"), json!({ "host": "x.com" })] {
        let r = panel.api("PUT", "/api/public-address", Some(bad.clone()));
        assert_eq!(r.status, 400, "{bad}: {:?}", r.json);
    }
    let mut zero = public("x.com");
    zero["udpgw_port"] = json!(0);
    assert!(
        panel.api("PUT", "/api/public-address", Some(zero)).json["error"]
            .as_str()
            .unwrap()
            .contains("udpgw_port")
    );
    assert_eq!(panel.api("GET", "/api/public-address", None).json["host"], "vpn.example.com");
    assert_eq!(panel.audit_total(), audits, "refusals wrote nothing");
}

#[test]
fn the_generator_needs_a_public_host_and_refuses_header_injection_and_unknown_users() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    assert_eq!(panel.create_user("payer", "pw-pay-1", json!({})).status, 201);
    let r = panel.api("POST", "/api/payload", Some(json!({ "user": "payer" })));
    assert_eq!(r.status, 400);
    assert!(r.json["error"].as_str().unwrap().contains("public address"), "{:?}", r.json);
    panel.api("PUT", "/api/public-address", Some(public("vpn.example.com")));
    let ok = panel.api("POST", "/api/payload", Some(json!({ "user": "payer" })));
    assert_eq!(ok.status, 200, "{:?}", ok.json);
    assert!(ok.json["payload"].as_str().unwrap().contains("Host: vpn.example.com[crlf]"));
    for bad in [
        json!({ "user": "payer", "r2_host": "a\r\nX-Evil: 1" }),
        json!({ "user": "payer", "r1_host": "a b" }),
        json!({ "user": "payer", "password": "a\r\nb" }),
        json!({ "user": "ghost" }),
        json!({ "user": "payer", "preset": "openvpn" }),
        json!({ "user": "payer", "r2_method": "BREW" }),
    ] {
        assert_eq!(panel.api("POST", "/api/payload", Some(bad.clone())).status, 400, "{bad}");
    }
    let presets = panel.api("GET", "/api/payload/presets", None).json;
    assert_eq!(presets["presets"].as_array().unwrap().len(), 3);
    assert_eq!(presets["r2_methods"].as_array().unwrap().len(), 9);
}

#[test]
fn the_sni_finder_refuses_loopback_private_and_names_that_resolve_to_them() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    for host in ["127.0.0.1", "::1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "100.64.0.1", "localhost"]
    {
        let r = panel.api("POST", "/api/sni", Some(json!({ "host": host })));
        assert_eq!(r.status, 403, "{host}: {:?}", r.json);
        assert!(r.json["error"].as_str().unwrap().contains("not a public address"), "{host}: {:?}", r.json);
    }
    for bad in ["http://x", "a b", "x.com:443", ""] {
        assert_eq!(panel.api("POST", "/api/sni", Some(json!({ "host": bad }))).status, 400, "{bad}");
    }
    panel.wait_for_log(&["SNI_LOOKUP", "localhost"]);
    // Admin only, and behind the same CSRF gate as every admin POST.
    let same_origin = [
        ("Origin", panel.url.as_str()),
        ("X-Requested-With", "wss-panel"),
        ("Content-Type", "application/json"),
    ];
    let anonymous = raw("POST", &format!("{}/api/sni", panel.url), &same_origin, r#"{"host":"127.0.0.1"}"#);
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    let s = BrowserSession::login(&panel);
    let cross = s.call_with(
        "POST",
        "/api/sni",
        Some(json!({ "host": "127.0.0.1" })),
        &[("Origin", "http://evil.example")],
    );
    assert_eq!(cross.status, 403);
    assert!(
        !cross.body.contains("not a public address"),
        "refused by the gate, not the policy: {}",
        cross.body
    );
    assert_eq!(s.call("POST", "/api/sni", Some(json!({ "host": "127.0.0.1" }))).status, 403);
}
