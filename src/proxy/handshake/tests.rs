//! The handshake parser against every way its bytes can arrive: heads whole and split at
//! every offset, dummies, the upgrade, the post-101 eater, and random streams (proptest).

use super::post_upgrade::leading_blank_len;
use super::*;
use proptest::prelude::*;

/// Every split offset worth checking: all of them for small inputs, a
/// sample (plus both ends) for the oversized ones.
fn offsets(len: usize) -> Vec<usize> {
    let stride = if len <= 4096 { 1 } else { 97 };
    let mut all: Vec<usize> = (0..=len).step_by(stride).chain([len.saturating_sub(1), len]).collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// The outcome of `input` fed whole, after checking that every two-feed
/// split and a byte-at-a-time feed give exactly the same outcome.
fn drive_all_ways(input: &[u8]) -> Replay {
    let whole = replay(&[input]);
    for at in offsets(input.len()) {
        let (a, b) = input.split_at(at);
        assert_eq!(replay(&[a, b]), whole, "split at {at}");
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(replay(&bytes), whole, "byte at a time");
    whole
}

/// `f` on `input`, after checking that every prefix gives `Partial` up to
/// some length and the final answer from there on.
fn prefix_consistent<T: PartialEq + std::fmt::Debug>(
    input: &[u8],
    f: impl Fn(&[u8]) -> Result<Status<T>, HandshakeError>,
) -> Result<Status<T>, HandshakeError> {
    let whole = f(input);
    let mut decided = false;
    for at in offsets(input.len()) {
        let got = f(&input[..at]);
        if decided || got != Ok(Status::Partial) {
            assert_eq!(got, whole, "prefix of {at} bytes");
            decided = true;
        }
    }
    whole
}

/// Parses `input` (checked all ways, through `parse` and `Handshake`).
fn parse_all_ways(input: &[u8]) -> Result<Status<Head>, HandshakeError> {
    drive_all_ways(input);
    prefix_consistent(input, parse)
}

fn head(input: &[u8]) -> Head {
    match parse_all_ways(input) {
        Ok(Status::Complete(head)) => head,
        other => panic!("expected a head, got {other:?}"),
    }
}

fn error(input: &[u8]) -> HandshakeError {
    match parse_all_ways(input) {
        Err(err) => err,
        other => panic!("expected an error, got {other:?}"),
    }
}

fn strip(input: &[u8]) -> Result<Status<usize>, HandshakeError> {
    prefix_consistent(input, strip_post_upgrade_request)
}

const UPGRADE: &[u8] = b"GET / HTTP/1.1\r\nHost: vpn.example.com\r\nUpgrade: websocket\r\n\r\n";

#[test]
fn upgrade_head_gives_method_target_headers_and_length() {
    let head = head(UPGRADE);
    assert_eq!((head.method.as_str(), head.target.as_str()), ("GET", "/"));
    assert_eq!(head.headers.len(), 2);
    assert_eq!(head.header("host"), Some("vpn.example.com"));
    assert_eq!(head.len, UPGRADE.len());
    assert!(head.is_upgrade());
}

#[test]
fn any_method_token_is_accepted() {
    for method in ["GET", "CONNECT", "POST", "GET-RAY", "PATCH", "get", "M-SEARCH", "ACL"] {
        let input = format!("{method} vpn.example.com:443 HTTP/1.1\r\n\r\n");
        assert_eq!(head(input.as_bytes()).method, method);
    }
}

#[test]
fn http_1_0_and_a_missing_version_are_accepted() {
    assert_eq!(head(b"GET / HTTP/1.0\r\n\r\n").target, "/");
    assert_eq!(head(b"GET /\r\n\r\n").target, "/");
    assert_eq!(head(b"GET http://x/ http/1.1\r\n\r\n").target, "http://x/");
}

#[test]
fn bare_lf_and_mixed_line_endings_are_accepted() {
    let input = b"GET / HTTP/1.1\nHost: a\r\nX-A: b\n\r\n";
    let head = head(input);
    assert_eq!(head.headers.len(), 2);
    assert_eq!(head.len, input.len());
    assert_eq!(
        super::parse(b"GET / HTTP/1.1\n\n").ok(),
        Some(Status::Complete(Head { method: "GET".into(), target: "/".into(), headers: vec![], len: 16 }))
    );
}

#[test]
fn blanks_around_the_colon_and_between_request_line_parts_are_tolerated() {
    let head = head(b"GET \t /a  HTTP/1.1 \r\nHost \t:\t  a.b  \r\nX-Empty:\r\n\r\n");
    assert_eq!(head.target, "/a");
    assert_eq!(head.header("HOST"), Some("a.b"));
    assert_eq!(head.header("x-empty"), Some(""));
}

#[test]
fn leading_empty_lines_are_skipped_and_counted_in_the_length() {
    let input = b"\r\n\n\r\nGET / HTTP/1.1\r\n\r\n";
    let head = head(input);
    assert_eq!(head.method, "GET");
    assert_eq!(head.len, input.len());
}

#[test]
fn header_names_match_in_any_case_and_the_first_one_wins() {
    let head = head(b"GET / HTTP/1.1\r\nuSeR-aGeNt: one\r\nUser-Agent: two\r\n\r\n");
    assert_eq!(head.header("USER-AGENT"), Some("one"));
    assert_eq!(head.header("missing"), None);
}

#[test]
fn an_unfinished_head_is_partial_not_an_error() {
    for input in [&b""[..], b"\r\n", b"GE", b"GET / HTTP/1.1\r", b"GET / HTTP/1.1\r\nHost: a\r\n"] {
        assert_eq!(parse_all_ways(input), Ok(Status::Partial), "{input:?}");
    }
}

#[test]
fn bytes_after_the_head_are_left_alone() {
    let mut input = UPGRADE.to_vec();
    input.extend_from_slice(b"SSH-2.0-x\r\n\0\0\x7f");
    assert_eq!(head(&input).len, UPGRADE.len());
}

/// A well-formed head of exactly `len` bytes.
fn head_of_len(len: usize) -> Vec<u8> {
    let mut input = b"GET / HTTP/1.1\r\nX-Pad: ".to_vec();
    input.resize(len - 4, b'a');
    input.extend_from_slice(b"\r\n\r\n");
    input
}

#[test]
fn a_head_of_exactly_max_head_bytes_is_accepted() {
    assert_eq!(head(&head_of_len(MAX_HEAD_BYTES)).len, MAX_HEAD_BYTES);
}

#[test]
fn a_head_one_byte_over_the_limit_is_too_large() {
    assert_eq!(error(&head_of_len(MAX_HEAD_BYTES + 1)), HandshakeError::TooLarge);
}

#[test]
fn an_endless_head_is_too_large_as_soon_as_it_passes_the_limit() {
    let mut input = head_of_len(MAX_HEAD_BYTES);
    input.truncate(MAX_HEAD_BYTES - 2);
    input.resize(MAX_HEAD_BYTES + 1, b'b');
    assert_eq!(parse(&input[..MAX_HEAD_BYTES]), Ok(Status::Partial));
    assert_eq!(error(&input), HandshakeError::TooLarge);
    assert_eq!(error(&[b'\n'; MAX_HEAD_BYTES + 1]), HandshakeError::TooLarge);
}

#[test]
fn nul_bytes_are_refused_wherever_they_are_in_the_head() {
    assert_eq!(error(b"\0"), HandshakeError::NulByte);
    assert_eq!(error(b"GET /\0 HTTP/1.1\r\n\r\n"), HandshakeError::NulByte);
    assert_eq!(error(b"GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n"), HandshakeError::NulByte);
    assert_eq!(error(b"GET / HTTP/1.1\r\nHost: a\r\0"), HandshakeError::NulByte);
}

#[test]
fn control_characters_in_a_header_are_refused() {
    for input in [&b"GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n"[..], b"GET / HTTP/1.1\r\nX: \x1b[31m\r\n\r\n"] {
        assert_eq!(error(input), HandshakeError::BadHeader, "{input:?}");
    }
    assert_eq!(error(b"GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n"), HandshakeError::BadHeader);
}

#[test]
fn a_bare_cr_inside_a_line_is_refused() {
    assert_eq!(error(b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"), HandshakeError::BadHeader);
    assert_eq!(error(b"GET /\rHTTP/1.1\r\n\r\n"), HandshakeError::BadRequestLine);
    assert_eq!(error(b"\r\r\n"), HandshakeError::BadRequestLine);
}

#[test]
fn garbage_request_lines_are_refused() {
    let inputs: [&[u8]; 9] = [
        b"\x16\x03\x01\x02\x00\x01",
        b"SSH-2.0-OpenSSH_9.6\r\n",
        b"GET\r\n\r\n",
        b"GET / HTTP/1.1 extra\r\n\r\n",
        b"GET / FTP/1.0\r\n\r\n",
        b" GET / HTTP/1.1\r\n\r\n",
        b"G(T / HTTP/1.1\r\n\r\n",
        b"GET /\xc3\xa9 HTTP/1.1\r\n\r\n",
        b"GET / HTTP/\r\n\r\n",
    ];
    for input in inputs {
        assert_eq!(error(input), HandshakeError::BadRequestLine, "{input:?}");
    }
}

#[test]
fn malformed_header_lines_are_refused() {
    let inputs: [&[u8]; 5] = [
        b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
        b"GET / HTTP/1.1\r\n: empty name\r\n\r\n",
        b"GET / HTTP/1.1\r\nSpace Inside: x\r\n\r\n",
        b"GET / HTTP/1.1\r\n \r\n\r\n",
        b"GET / HTTP/1.1\r\nN\xc3\xa4me: x\r\n\r\n",
    ];
    for input in inputs {
        assert_eq!(error(input), HandshakeError::BadHeader, "{input:?}");
    }
}

#[test]
fn non_ascii_header_values_are_kept() {
    assert_eq!(
        head("GET / HTTP/1.1\r\nUser-Agent: café\r\n\r\n".as_bytes()).header("user-agent"),
        Some("café")
    );
}

fn with_headers(lines: &str) -> Head {
    head(format!("GET /?user=bob HTTP/1.1\r\n{lines}\r\n").as_bytes())
}

#[test]
fn either_upgrade_websocket_or_connection_upgrade_marks_the_upgrade() {
    assert!(with_headers("Upgrade: WebSocket\r\n").is_upgrade());
    assert!(with_headers("upgrade: x-websocket-ish\r\n").is_upgrade());
    assert!(with_headers("Connection: keep-alive, Upgrade\r\n").is_upgrade());
    assert!(with_headers("Connection: keep-alive\r\nConnection: upgrade\r\n").is_upgrade());
    assert!(!with_headers("Connection: Keep-Alive\r\nUpgrade: h2c\r\n").is_upgrade());
    assert!(!with_headers("Connection: upgrades\r\n").is_upgrade());
    assert!(!with_headers("").is_upgrade());
}

#[test]
fn host_drops_the_port_the_case_and_a_trailing_dot() {
    let host = |value: &str| with_headers(&format!("Host: {value}\r\n")).host();
    assert_eq!(host("VPN.Example.COM:443").as_deref(), Some("vpn.example.com"));
    assert_eq!(host("vpn.example.com.").as_deref(), Some("vpn.example.com"));
    assert_eq!(host("vpn.example.com.:80").as_deref(), Some("vpn.example.com"));
    assert_eq!(host("[::1]:80").as_deref(), Some("::1"));
    assert_eq!(host("[2001:DB8::1]").as_deref(), Some("2001:db8::1"));
    assert_eq!(host("2001:db8::1").as_deref(), Some("2001:db8::1"));
    assert_eq!(host("[::1").as_deref(), None);
    assert_eq!(host(":80").as_deref(), None);
    assert_eq!(with_headers("").host(), None);
}

/// `Proxy-Authorization` with `value` verbatim.
fn credentials(value: &str) -> Result<Option<(String, String)>, HandshakeError> {
    with_headers(&format!("Proxy-Authorization: {value}\r\n")).basic_credentials()
}

fn pair(user: &str, pass: &str) -> Result<Option<(String, String)>, HandshakeError> {
    Ok(Some((user.to_owned(), pass.to_owned())))
}

#[test]
fn basic_credentials_are_decoded_and_split_at_the_first_colon() {
    assert_eq!(credentials("Basic YWxpY2U6czNjcmV0"), pair("alice", "s3cret"));
    assert_eq!(credentials("basic   YWxpY2U6czNjcmV0  "), pair("alice", "s3cret"));
    // "bob:pa:ss:" with and without padding.
    assert_eq!(credentials("BASIC Ym9iOnBhOnNzOg=="), pair("bob", "pa:ss:"));
    assert_eq!(credentials("Basic Ym9iOnBhOnNzOg"), pair("bob", "pa:ss:"));
    // ":" alone: both empty; the domain layer refuses the empty name.
    assert_eq!(credentials("Basic Og=="), pair("", ""));
    assert_eq!(with_headers("").basic_credentials(), Ok(None));
}

#[test]
fn malformed_basic_credentials_are_an_error() {
    let inputs = [
        "Basic",
        "Basic ",
        "Bearer YWxpY2U6czNjcmV0",
        "Basic YWxpY2U",             // "alice": no colon
        "Basic YWxp*2U6czNjcmV0",    // not base64
        "Basic YWxpY2U6czNjcmV0===", // too much padding
        "Basic YWxpY2U6c",           // impossible length
        "Basic /w==",                // not UTF-8
    ];
    for value in inputs {
        assert_eq!(credentials(value), Err(HandshakeError::BadCredentials), "{value}");
    }
}

#[test]
fn uri_user_is_read_from_the_query() {
    let user = |target: &str| head(format!("GET {target} HTTP/1.1\r\n\r\n").as_bytes()).uri_user();
    assert_eq!(user("/?user=alice").as_deref(), Some("alice"));
    assert_eq!(user("/path?x=1&user=bob&user=eve").as_deref(), Some("bob"));
    assert_eq!(user("http://h/?user=al%69ce#frag").as_deref(), Some("al%69ce"));
    assert_eq!(user("/?username=alice"), None);
    assert_eq!(user("/?user="), None);
    assert_eq!(user("/user=alice"), None);
}

mod stream;
