//! Fuzzes the pre-tunnel handshake (`proxy::handshake`): no input panics, the answer does
//! not depend on how the bytes were split across reads, and no byte is lost or invented
//! (the heads consumed plus the bytes handed to sshd are exactly the input).

use super::engine;
use wss_panel::proxy::handshake::{Status, Step, parse, replay, strip_post_upgrade_request};

/// Tokens of HTTP heads that payloads send, and the ones that break naive parsers.
const DICT: &[&[u8]] = &[
    b"\r\n",
    b"\r\n\r\n",
    b"\n\n",
    b"\r",
    b"GET ",
    b"POST ",
    b"CONNECT ",
    b"HTTP/1.1",
    b"HTTP/1.0",
    b"Host: ",
    b"Upgrade: websocket",
    b"Connection: Upgrade",
    b"Connection: keep-alive, upgrade",
    b"Proxy-Authorization: Basic ",
    b"Proxy-Authorization: Bearer x",
    b"dXNlcjpwYXNz",
    b"====",
    b"/?user=",
    b"&user=",
    b"#",
    b"[::1]:80",
    b"SSH-2.0-OpenSSH_9.2\r\n",
    b": ",
    b":",
    b"\0",
    b"\xff\xfe",
    b"\xc3\x28",
    b"X-Online-Host: ",
    b"Content-Length: 5",
];

fn check(data: &[u8]) -> String {
    // The first two bytes pick two split points.
    let pick = |i: usize| data.get(i).map_or(0, |&b| usize::from(b) * data.len() / 255);
    let (a, b) = (pick(0).min(pick(1)), pick(0).max(pick(1)));

    let whole = parse(data);
    let mut sig = match &whole {
        Ok(Status::Partial) => "partial".to_string(),
        Ok(Status::Complete(head)) => {
            assert!(head.len <= data.len(), "a head longer than its input");
            format!(
                "head upgrade={} host={} creds={:?} user={}",
                head.is_upgrade(),
                head.host().is_some(),
                head.basic_credentials().map(|c| c.is_some()),
                head.uri_user().is_some()
            )
        }
        Err(e) => format!("{e:?}"),
    };
    let early = parse(&data[..a]);
    assert!(early == Ok(Status::Partial) || early == whole, "parse depends on the split at {a}");

    let strip_whole = strip_post_upgrade_request(data);
    let strip_early = strip_post_upgrade_request(&data[..a]);
    assert!(strip_early == Ok(Status::Partial) || strip_early == strip_whole, "strip depends on the split");
    if let Ok(Status::Complete(n)) = strip_whole {
        assert!(n <= data.len(), "strip consumed more than its input");
    }

    let (steps, err, rest) = replay(&[data]);
    assert_eq!(replay(&[&data[..a], &data[a..b], &data[b..]]), (steps.clone(), err.clone(), rest.clone()));
    if err.is_none() {
        let consumed: usize = steps
            .iter()
            .map(|s| match s {
                Step::Dummy(h) | Step::Upgrade(h) => h.len,
                Step::NeedMore => unreachable!("NeedMore is never collected"),
            })
            .sum();
        assert_eq!(consumed + rest.len(), data.len(), "bytes lost or invented");
        assert_eq!(&data[consumed..], &rest[..], "the tunnel's first bytes are the input's last");
    }
    let upgraded = steps.iter().any(|s| matches!(s, Step::Upgrade(_)));
    sig.push_str(&format!(" steps={} upgraded={upgraded} err={err:?}", steps.len().min(4)));
    sig
}

#[test]
fn fuzz_handshake_parser_never_panics_and_ignores_read_boundaries() {
    let report = engine::run("handshake", DICT, check);
    assert!(report.execs > 1000, "too few inputs ran to mean anything: {report:?}");
    assert!(report.outcomes >= 8, "the corpus reaches too few outcomes: {report:?}");
}
