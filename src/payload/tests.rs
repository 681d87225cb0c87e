//! The generator's text against the original's format, the presets, and what an app sends.

use super::*;

fn spec(preset: Preset) -> PayloadSpec {
    PayloadSpec { user: "alice".into(), password: "pw:1".into(), ..preset.defaults() }
        .validated("vpn.example.com")
        .unwrap()
}

#[test]
fn http_injector_writes_r1_and_r2_in_the_original_format() {
    let text = generate(&spec(Preset::HttpInjector), "vpn.example.com:80");
    assert_eq!(
        text,
        "CONNECT [host_port] [protocol][crlf]Connection: close[crlf][crlf][split][crlf]\
         GET http://vpn.example.com/ [protocol][crlf]Host: vpn.example.com[crlf]\
         X-Online-Host: vpn.example.com[crlf]User-Agent: [ua][crlf]\
         Proxy-Authorization: Basic YWxpY2U6cHc6MQ==[crlf]Upgrade: websocket[crlf]\
         Connection: Upgrade[crlf][crlf]"
    );
}

#[test]
fn napsternetv_gets_literal_host_port_protocol_and_keeps_crlf() {
    let s = PayloadSpec { split: true, ..spec(Preset::Napsternetv) };
    let text = generate(&s, "vpn.example.com:80");
    assert!(text.starts_with("CONNECT vpn.example.com:80 HTTP/1.1[crlf]"), "{text}");
    assert!(!text.contains("[host_port]") && !text.contains("[protocol]"), "{text}");
    assert!(text.contains("[split]") && text.ends_with("[crlf][crlf]"), "{text}");
}

#[test]
fn uri_mode_puts_the_user_in_the_target_and_sends_no_header() {
    let s = PayloadSpec { auth: AuthMode::Uri, ..spec(Preset::HttpCustom) };
    let text = generate(&s, "h:80");
    assert!(text.starts_with("GET http://vpn.example.com/?user=alice [protocol][crlf]"), "{text}");
    assert!(!text.contains("Proxy-Authorization"));
    let none = generate(&PayloadSpec { auth: AuthMode::None, ..spec(Preset::HttpCustom) }, "h:80");
    assert!(!none.contains("Proxy-Authorization") && !none.contains("?user="), "{none}");
}

#[test]
fn unticked_headers_are_left_out_and_keep_alive_replaces_the_upgrade_pair() {
    let mut s = spec(Preset::HttpInjector);
    s.headers =
        Headers { host: false, keep_alive: true, user_agent: false, websocket: false, online_host: false };
    s.r2_method = R2Method::Patch;
    let text = generate(&s, "h:80");
    assert!(text.contains("PATCH http://vpn.example.com/ [protocol][crlf]Proxy-Authorization"), "{text}");
    assert!(text.ends_with("Connection: Keep-Alive[crlf][crlf]"), "{text}");
    assert!(!text.contains("Host:") && !text.contains("Upgrade") && !text.contains("[ua]"), "{text}");
}

#[test]
fn expand_replaces_markers_and_cuts_at_split() {
    let parts =
        expand("CONNECT [host_port] [protocol][crlf][crlf][split][crlf]GET / HTTP/1.1[crlf][crlf]", "a.b:80");
    assert_eq!(
        parts,
        vec![b"CONNECT a.b:80 HTTP/1.1\r\n\r\n".to_vec(), b"\r\nGET / HTTP/1.1\r\n\r\n".to_vec()]
    );
    assert_eq!(expand("[host]|[port]|[ua]", "h:8"), vec![format!("h|8|{USER_AGENT}").into_bytes()]);
}

#[test]
fn an_empty_r2_host_takes_the_public_host_or_is_refused_without_one() {
    let s = PayloadSpec { user: "alice".into(), ..Preset::HttpCustom.defaults() };
    assert_eq!(s.clone().validated("pub.example").unwrap().r2_host, "pub.example");
    assert_eq!(s.validated(""), Err(SpecError::NoHost));
}

#[test]
fn nothing_that_could_break_a_line_reaches_the_payload() {
    let base = PayloadSpec { user: "alice".into(), ..Preset::HttpInjector.defaults() };
    // (An empty R2 host means "the public host"; an empty R1 host is refused.)
    let empty_r1 = PayloadSpec { r1_host: String::new(), ..base.clone() };
    assert!(matches!(empty_r1.validated("p"), Err(SpecError::BadHost { field: "r1_host" })));
    for host in ["a\r\nX: y", "a b", "a/b", &"a".repeat(MAX_HOST_CHARS + 1)] {
        let s = PayloadSpec { r2_host: host.into(), ..base.clone() };
        assert!(matches!(s.validated("p"), Err(SpecError::BadHost { field: "r2_host" })), "{host:?}");
        let s = PayloadSpec { r1_host: host.into(), ..base.clone() };
        assert!(s.validated("p").is_err(), "{host:?}");
    }
    let bad_user = PayloadSpec { user: "al ice\r\n".into(), ..base.clone() };
    assert!(matches!(bad_user.validated("p"), Err(SpecError::BadUser(_))));
    let no_user = PayloadSpec { user: String::new(), ..base.clone() };
    assert!(matches!(no_user.validated("p"), Err(SpecError::BadUser(_))));
    let none = PayloadSpec { user: String::new(), auth: AuthMode::None, ..base.clone() };
    assert!(none.validated("p").is_ok());
    let bad_pw = PayloadSpec { password: "a\nb".into(), ..base };
    assert_eq!(bad_pw.validated("p"), Err(SpecError::BadPassword));
}
