//! Fuzzes the pre-tunnel handshake (`proxy::handshake`): no input may panic,
//! and the answer must not depend on how the bytes were split across reads.
//! Run with `cargo +nightly fuzz run handshake` from the crate root.
// No `#![forbid(unsafe_code)]` here: `fuzz_target!` expands to the
// `#[no_mangle]` entry point that libFuzzer calls.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wss_panel::proxy::handshake::{
    Handshake, HandshakeError, Status, Step, parse, strip_post_upgrade_request,
};

/// The steps, final error and leftover bytes of a handshake fed `chunks`
/// (no leftovers after an error: the connection would be closed).
fn drive(chunks: &[&[u8]]) -> (Vec<Step>, Option<HandshakeError>, Vec<u8>) {
    let mut hs = Handshake::new();
    let mut steps = Vec::new();
    for chunk in chunks {
        hs.feed(chunk);
        loop {
            match hs.next() {
                Ok(Step::NeedMore) => break,
                Ok(step) => steps.push(step),
                Err(err) => return (steps, Some(err), Vec::new()),
            }
        }
    }
    (steps, None, hs.take_rest())
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks where the input is split in two.
    let at = data
        .first()
        .map_or(0, |&b| usize::from(b) % (data.len() + 1));
    let (prefix, rest) = data.split_at(at);

    let whole = parse(data);
    if let Ok(Status::Complete(head)) = &whole {
        let _ = (
            head.host(),
            head.basic_credentials(),
            head.uri_user(),
            head.is_upgrade(),
        );
    }
    let early = parse(prefix);
    assert!(
        early == Ok(Status::Partial) || early == whole,
        "parse depends on the split"
    );

    let strip_whole = strip_post_upgrade_request(data);
    let strip_early = strip_post_upgrade_request(prefix);
    assert!(
        strip_early == Ok(Status::Partial) || strip_early == strip_whole,
        "strip_post_upgrade_request depends on the split"
    );

    assert_eq!(
        drive(&[prefix, rest]),
        drive(&[data]),
        "Handshake depends on the split"
    );
});
