//! Fuzzes the pre-tunnel handshake (`proxy::handshake`): no input may panic,
//! and the answer must not depend on how the bytes were split across reads.
//! Run with `cargo +nightly fuzz run handshake` from the crate root.
// No `#![forbid(unsafe_code)]` here: `fuzz_target!` expands to the
// `#[no_mangle]` entry point that libFuzzer calls.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wss_panel::proxy::handshake::{Status, parse, replay, strip_post_upgrade_request};

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
        replay(&[prefix, rest]),
        replay(&[data]),
        "Handshake depends on the split"
    );
});
