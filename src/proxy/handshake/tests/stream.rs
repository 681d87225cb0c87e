//! The sans-io driver over whole connections (dummies, the upgrade, the bytes left for
//! sshd), the post-101 eater, and random streams fed in any pieces.

use super::*;

const SSH: &[u8] = b"SSH-2.0-OpenSSH_9.6\r\n\0\0\x01\x14";

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn methods(steps: &[Step]) -> Vec<String> {
    let name = |step: &Step| match step {
        Step::NeedMore => "need-more".to_owned(),
        Step::Dummy(head) => format!("dummy {}", head.method),
        Step::Upgrade(head) => format!("upgrade {}", head.method),
    };
    steps.iter().map(name).collect()
}

#[test]
fn dummy_then_upgrade_then_ssh_bytes_in_one_segment() {
    let input = concat(&[b"CONNECT vpn.example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n", UPGRADE, SSH]);
    let (steps, err, rest) = drive_all_ways(&input);
    assert_eq!(methods(&steps), ["dummy CONNECT", "upgrade GET"]);
    assert_eq!((err, rest.as_slice()), (None, SSH));
}

#[test]
fn several_dummies_in_one_feed_come_out_one_by_one() {
    let dummy: &[u8] = b"GET http://bug.host/ HTTP/1.1\r\nHost: bug.host\r\nConnection: Keep-Alive\r\n\r\n";
    let input = concat(&[dummy, b"\r\n", dummy, b"post / HTTP/1.0\n\n", UPGRADE]);
    let (steps, err, rest) = drive_all_ways(&input);
    assert_eq!(methods(&steps), ["dummy GET", "dummy GET", "dummy post", "upgrade GET"]);
    assert_eq!((err, rest), (None, vec![]));
    if let Step::Dummy(head) = &steps[1] {
        assert_eq!(head.len, dummy.len() + 2, "the blank line belongs to the next head");
    }
}

#[test]
fn an_upgrade_first_keeps_every_later_byte_in_order() {
    let input = concat(&[UPGRADE, UPGRADE, SSH]);
    let (steps, err, rest) = drive_all_ways(&input);
    assert_eq!(methods(&steps), ["upgrade GET"]);
    assert_eq!((err, rest), (None, concat(&[UPGRADE, SSH])));
}

#[test]
fn a_partial_head_stays_buffered_until_it_completes() {
    let (steps, err, rest) = drive_all_ways(&UPGRADE[..UPGRADE.len() - 1]);
    assert!(steps.is_empty() && err.is_none());
    assert_eq!(rest, &UPGRADE[..UPGRADE.len() - 1]);
}

#[test]
fn an_error_after_a_dummy_ends_the_handshake_for_good() {
    let input = concat(&[b"GET / HTTP/1.1\r\n\r\n", b"SSH-2.0-OpenSSH_9.6\r\n"]);
    let (steps, err, _) = drive_all_ways(&input);
    assert_eq!(methods(&steps), ["dummy GET"]);
    assert_eq!(err, Some(HandshakeError::BadRequestLine));
    let mut hs = Handshake::new();
    hs.feed(b"\0");
    assert_eq!(hs.next(), Err(HandshakeError::NulByte));
    hs.feed(UPGRADE);
    assert_eq!(hs.next(), Err(HandshakeError::NulByte));
}

/// A head with `lines` header lines `X:` and nothing else.
fn head_with_lines(lines: usize) -> Vec<u8> {
    concat(&[b"GET / HTTP/1.1\r\n", &b"X:\r\n".repeat(lines), b"\r\n"])
}

#[test]
fn a_head_with_the_maximum_header_lines_is_accepted_and_one_more_is_refused() {
    assert_eq!(head(&head_with_lines(DEFAULT_MAX_HEADER_LINES)).headers.len(), DEFAULT_MAX_HEADER_LINES);
    let over = HandshakeError::TooManyHeaderLines { max: DEFAULT_MAX_HEADER_LINES };
    assert_eq!(error(&head_with_lines(DEFAULT_MAX_HEADER_LINES + 1)), over);
}

#[test]
fn an_unfinished_head_of_tiny_lines_is_refused_at_the_first_line_over_the_cap() {
    // What a slow attacker sends: thousands of tiny lines and never the blank line.
    let mut input = head_with_lines(MAX_HEAD_BYTES / 4);
    input.truncate(MAX_HEAD_BYTES - 1);
    let mut hs = Handshake::with_max_header_lines(5);
    hs.feed(&input[..16 + 5 * 4]);
    assert_eq!(hs.next(), Ok(Step::NeedMore), "five lines are fine");
    hs.feed(&input[16 + 5 * 4..]);
    assert_eq!(hs.next(), Err(HandshakeError::TooManyHeaderLines { max: 5 }));
    assert!(hs.scanner.headers.len() <= 5, "nothing past the cap was kept");
}

#[test]
fn the_header_cap_is_configurable_per_handshake() {
    let mut hs = Handshake::with_max_header_lines(2);
    hs.feed(&head_with_lines(2));
    assert!(matches!(hs.next(), Ok(Step::Dummy(_))));
    hs.feed(&head_with_lines(3));
    assert_eq!(hs.next(), Err(HandshakeError::TooManyHeaderLines { max: 2 }));
}

#[test]
fn too_many_dummy_heads_are_refused() {
    let dummy: &[u8] = b"GET / HTTP/1.1\r\n\r\n";
    let (steps, err, _) = replay(&[&dummy.repeat(MAX_DUMMY_HEADS + 1)]);
    assert_eq!(steps.len(), MAX_DUMMY_HEADS);
    assert_eq!(err, Some(HandshakeError::TooManyHeads));
    let (steps, err, _) = drive_all_ways(&concat(&[&dummy.repeat(MAX_DUMMY_HEADS), UPGRADE]));
    assert_eq!((steps.len(), err), (MAX_DUMMY_HEADS + 1, None));
}

#[test]
fn after_the_upgrade_nothing_is_parsed_and_later_bytes_join_the_rest() {
    let mut hs = Handshake::new();
    hs.feed(UPGRADE);
    assert!(matches!(hs.next(), Ok(Step::Upgrade(_))));
    hs.feed(b"\0garbage");
    assert_eq!(hs.next(), Ok(Step::NeedMore));
    assert_eq!(hs.take_rest(), b"\0garbage");
    assert_eq!(hs.take_rest(), b"");
}

#[test]
fn strip_keeps_an_ssh_banner_whole() {
    assert_eq!(strip(SSH), Ok(Status::Complete(0)));
    assert_eq!(strip(b"SSH-"), Ok(Status::Complete(0)));
}

#[test]
fn strip_waits_only_while_a_standard_method_may_begin() {
    for input in [
        &b""[..],
        b"G",
        b"GE",
        b"GET",
        b"P",
        b"PATC",
        b"OPTIONS",
        b"\r",
        b"\r\n",
        b"\r\nCONN",
        b"GET ",
        b"CONNECT h:22 HTTP/1.1\r\nHost: h\r\n",
    ] {
        assert_eq!(strip(input), Ok(Status::Partial), "{input:?}");
    }
}

#[test]
fn strip_passes_at_once_what_cannot_begin_a_standard_request() {
    // One byte or a short token without a newline: the client may be waiting for an answer.
    for input in
        [&b"S"[..], b"SS", b"SSH", b"E", b"\0", b"\x16", b"\xff", b"g", b"GETX", b"M-SEARCH /", b"\r\nE"]
    {
        let blank = leading_blank_len(input);
        assert_eq!(strip(input), Ok(Status::Complete(blank)), "{input:?}");
    }
}

#[test]
fn of_all_single_bytes_only_a_method_initial_or_a_line_break_waits() {
    for byte in 0..=u8::MAX {
        let waits = strip(&[byte]) == Ok(Status::Partial);
        assert_eq!(waits, b"GHPDCOT\r\n".contains(&byte), "byte {byte:#04x}");
    }
}

#[test]
fn strip_eats_one_full_request_head_and_nothing_after_it() {
    for first in [&b"CONNECT 127.0.0.1:22 HTTP/1.1\r\n\r\n"[..], b"GET / HTTP/1.1\nHost: a\n\n", UPGRADE] {
        assert_eq!(strip(&concat(&[first, SSH])), Ok(Status::Complete(first.len())));
        assert_eq!(strip(&concat(&[first, first])), Ok(Status::Complete(first.len())));
    }
}

#[test]
fn strip_eats_empty_lines_before_the_banner() {
    assert_eq!(strip(&concat(&[b"\r\n\n", SSH])), Ok(Status::Complete(3)));
}

#[test]
fn strip_leaves_what_is_not_http_for_sshd_to_judge() {
    for input in [&b"\x16\x03\x01\x00"[..], b"SSH_2.0\r\n", b"hello\r\n", b"GET\r\n", b"\r\n\x00"] {
        let blank = leading_blank_len(input);
        assert_eq!(strip(input), Ok(Status::Complete(blank)), "{input:?}");
    }
}

#[test]
fn strip_refuses_a_broken_request_after_a_valid_request_line() {
    assert_eq!(strip(b"CONNECT h:22 HTTP/1.1\r\nbroken\r\n\r\n"), Err(HandshakeError::BadHeader));
    assert_eq!(strip(b"CONNECT h:22 HTTP/1.1\r\nX: \0"), Err(HandshakeError::NulByte));
    assert_eq!(strip(&head_of_len(MAX_HEAD_BYTES + 1)), Err(HandshakeError::TooLarge));
}

/// Bytes that look like a request line, then anything.
fn http_ish() -> impl Strategy<Value = Vec<u8>> {
    let line = "(\r?\n){0,2}[A-Za-z-]{1,8}[ \t]{1,2}[ -~]{0,20}( HTTP/1\\.[01])?\r?\n";
    let header = "[A-Za-z-]{1,10}[ ]?:[ -~\t]{0,16}\r?\n";
    let tail = proptest::collection::vec(any::<u8>(), 0..64);
    (line, proptest::collection::vec(header, 0..4), any::<bool>(), tail).prop_map(
        |(line, headers, end, tail)| {
            let mut bytes = line.into_bytes();
            headers.iter().for_each(|h| bytes.extend_from_slice(h.as_bytes()));
            bytes.extend_from_slice(if end { b"\r\n" } else { b"" });
            bytes.extend_from_slice(&tail);
            bytes
        },
    )
}

fn never_panics_and_agrees_with_itself(input: &[u8], at: usize) {
    let _ = parse(input);
    let _ = strip_post_upgrade_request(input);
    let (a, b) = input.split_at(at.min(input.len()));
    assert_eq!(replay(&[a, b]), replay(&[input]));
}

proptest! {
    #[test]
    fn random_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..512), at in 0usize..512) {
        never_panics_and_agrees_with_itself(&input, at);
    }

    #[test]
    fn random_streams_after_a_request_line_never_panic(input in http_ish(), at in 0usize..200) {
        never_panics_and_agrees_with_itself(&input, at);
        let _ = parse(&input).map(|s| if let Status::Complete(head) = s {
            let _ = (head.host(), head.basic_credentials(), head.uri_user(), head.is_upgrade());
        });
    }

    #[test]
    fn random_head_streams_feed_the_same_in_any_pieces(input in proptest::collection::vec(http_ish(), 1..4)) {
        let input = input.concat();
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        prop_assert_eq!(replay(&bytes), replay(&[&input]));
    }
}
