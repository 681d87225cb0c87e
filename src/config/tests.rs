//! `config.json` parsing and validation: defaults, every refusal with its message.

use super::*;

fn load_str(text: &str) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(&path, text).unwrap();
    Config::load(&path)
}

const SECRET: &str = r#""internal_api_secret": "0123456789abcdef0123""#;

#[test]
fn a_minimal_config_gets_the_original_defaults() {
    let c = load_str(&format!("{{{SECRET}}}")).unwrap();
    assert_eq!((c.panel_port, c.wss_http_port, c.wss_tls_port), (54321, 80, 443));
    assert_eq!((c.stunnel_port, c.internal_forward_port), (444, 22));
    assert_eq!(c.panel_user, "wss-panel");
    assert_eq!(
        (c.panel_tls, c.panel_local_port, c.panel_url.as_str()),
        (false, None, "http://127.0.0.1:54321")
    );
    let tls = load_str(&format!(r#"{{{SECRET},"panel_tls":true,"panel_local_port":54320}}"#)).unwrap();
    assert_eq!(tls.panel_url, "http://127.0.0.1:54320");
    assert_eq!((c.max_header_lines, c.preauth_per_ip, c.preauth_global), (100, 128, 4096));
    assert_eq!(c.handshake_timeout, std::time::Duration::from_secs(10));
    assert_eq!(c.busy_poll, std::time::Duration::ZERO, "busy polling is opt-in");
    let busy = load_str(&format!(r#"{{{SECRET},"busy_poll_us":1000}}"#)).unwrap();
    assert_eq!(busy.busy_poll, std::time::Duration::from_millis(1));
    assert_eq!(c.helper_timeout, std::time::Duration::from_secs(150));
    assert!(!format!("{c:?}").contains("0123456789abcdef"));
}

#[test]
fn the_original_config_file_still_loads() {
    let original = r#"{"panel_user":"admin","panel_port":54321,"wss_http_port":80,
      "wss_tls_port":443,"stunnel_port":444,"udpgw_port":7300,"internal_forward_port":22,
      "internal_api_port":54322,"internal_api_secret":"5f2a9c0e8b7d6a4f3e2d1c0b9a8f7e6d",
      "panel_api_url":"http://127.0.0.1:54321/internal","proxy_api_url":"http://127.0.0.1:54322"}"#;
    assert!(load_str(original).is_ok());
}

#[test]
fn bad_configs_are_refused_in_plain_english() {
    let cases = [
        ("{}", "internal_api_secret is missing"),
        (r#"{"internal_api_secret":"default-secret-key-please-change"}"#, "published default"),
        (r#"{"internal_api_secret":"short"}"#, "shorter than"),
        (&format!(r#"{{{SECRET},"panel_port":70000}}"#), "panel_port 70000 is out of range"),
        (&format!(r#"{{{SECRET},"panel_prot":1}}"#), "unknown field `panel_prot`"),
        (&format!(r#"{{{SECRET},"wss_http_port":8080,"panel_port":8080}}"#), "both 8080"),
        (&format!(r#"{{{SECRET},"bcrypt_cost":40}}"#), "bcrypt_cost"),
        (&format!(r#"{{{SECRET},"panel_user":"root"}}"#), "is root (uid 0)"),
        (&format!(r#"{{{SECRET},"panel_tls":true,"panel_local_port":54321}}"#), "other than panel_port"),
        (&format!(r#"{{{SECRET},"max_header_lines":0}}"#), "max_header_lines 0 is out of range"),
        (&format!(r#"{{{SECRET},"max_header_lines":5000}}"#), "max_header_lines 5000"),
        (&format!(r#"{{{SECRET},"handshake_timeout_secs":0}}"#), "handshake_timeout_secs 0 is out of range"),
        (&format!(r#"{{{SECRET},"handshake_timeout_secs":121}}"#), "handshake_timeout_secs 121"),
        (&format!(r#"{{{SECRET},"helper_timeout_secs":0}}"#), "helper_timeout_secs 0 is out of range"),
        (&format!(r#"{{{SECRET},"busy_poll_us":1001}}"#), "busy_poll_us 1001 is out of range 0..=1000"),
        (&format!(r#"{{{SECRET},"preauth_per_ip":0}}"#), "preauth_per_ip 0 must be at least 1"),
        (
            &format!(r#"{{{SECRET},"preauth_global":10}}"#),
            "preauth_per_ip 128 must be at least 1 and at most preauth_global (10)",
        ),
        (&format!(r#"{{{SECRET},"preauth_global":0}}"#), "preauth_global 0 is out of range"),
        ("{not json", "not valid config JSON"),
    ];
    for (text, expected) in cases {
        let err = load_str(text).unwrap_err().to_string();
        assert!(err.contains(expected), "{text}: {err}");
    }
}

#[test]
fn a_corrupt_config_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(&path, "{corrupt").unwrap();
    assert!(Config::load(&path).is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{corrupt");
    assert!(Config::load(&dir.path().join("missing.json")).is_err());
    assert!(!dir.path().join("missing.json").exists());
}

#[test]
fn the_stunnel_sshd_port_is_checked_only_when_written() {
    // Configs from before the key (and `up`'s) keep starting, whatever their other ports.
    let old = load_str(&format!(r#"{{{SECRET},"wss_http_port":2222}}"#)).unwrap();
    assert_eq!(old.sshd_stunnel_port, DEFAULT_SSHD_STUNNEL_PORT);
    let set = load_str(&format!(r#"{{{SECRET},"sshd_stunnel_port":8222}}"#)).unwrap();
    assert_eq!(set.sshd_stunnel_port, 8222);
    for (clash, other) in [(22, "internal_forward_port"), (444, "stunnel_port"), (54321, "panel_port")] {
        let e = load_str(&format!(r#"{{{SECRET},"sshd_stunnel_port":{clash}}}"#)).unwrap_err().to_string();
        assert!(e.contains(&format!("sshd_stunnel_port and {other} are both {clash}")), "{e}");
    }
    for bad in ["0", "70000"] {
        let e = load_str(&format!(r#"{{{SECRET},"sshd_stunnel_port":{bad}}}"#)).unwrap_err().to_string();
        assert!(e.contains("sshd_stunnel_port") && e.contains("1 to 65535"), "{e}");
    }
}
