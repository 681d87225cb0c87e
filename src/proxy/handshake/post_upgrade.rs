//! The request head some tunnel apps send after the `101`, eaten before piping to sshd.

use super::head::Scanner;
use super::{DEFAULT_MAX_HEADER_LINES, HandshakeError, MAX_HEAD_BYTES, Status};

/// The methods an extra request after the `101` may use (RFC 9110 §9.3, PATCH from
/// RFC 5789), in upper case as apps send them. Only bytes that can still begin one of these
/// may wait for more: anything else (an SSH banner, a binary byte, a lone `E`) goes to sshd
/// at once, so a client that writes a few bytes and waits for an answer never stalls.
const METHODS: [&[u8]; 9] =
    [b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"CONNECT", b"OPTIONS", b"TRACE", b"PATCH"];

/// How many leading bytes of what the client sent after the `101` to discard
/// before piping to sshd, because some apps send one more request head first.
///
/// The rule, on the bytes received since the 101:
/// - Leading empty lines (`\r\n` or `\n`) are always discarded: sshd refuses
///   anything before its banner, so they can only break the tunnel.
/// - Next, a standard method ([`METHODS`]) and a blank: a request line. A
///   complete request head (same grammar as [`parse`](super::parse)) is
///   discarded; a malformed one (bad request line or header, NUL, over
///   [`MAX_HEAD_BYTES`]) after a valid request line is the error, since that
///   is a broken HTTP request; a malformed request line is sshd's to judge.
/// - Anything else (`SSH-`, binary, TLS, a lone `E`, a non-standard method):
///   not ours to judge; discard only the empty lines, sshd decides.
/// - `Partial` only while the bytes are nothing, half an empty line, a prefix
///   of a standard method (`"GE"`), or a request head without its blank line.
///   A prefix of `buf` gives `Partial` or the same answer, so calling this
///   after every read is safe.
pub fn strip_post_upgrade_request(buf: &[u8]) -> Result<Status<usize>, HandshakeError> {
    let blank = leading_blank_len(buf);
    let rest = buf.get(blank..).unwrap_or_default();
    match request_start(rest) {
        Start::Undecided => return Ok(Status::Partial),
        Start::Other => return Ok(Status::Complete(blank)),
        Start::Request => {}
    }
    let mut scanner = Scanner::default();
    match scanner.advance(buf, DEFAULT_MAX_HEADER_LINES) {
        Ok(Status::Complete(head)) => Ok(Status::Complete(head.len)),
        Ok(Status::Partial) => Ok(Status::Partial),
        Err(err) if scanner.request.is_some() => Err(err),
        Err(_) => Ok(Status::Complete(blank)),
    }
}

/// What the bytes after the leading empty lines can still become.
#[derive(Debug, PartialEq, Eq)]
enum Start {
    /// Too few bytes to tell: nothing yet, a lone `\r`, or a prefix of a method name.
    Undecided,
    /// A standard method and a blank: an HTTP request line has begun.
    Request,
    /// Cannot begin a request of a standard method.
    Other,
}

fn request_start(rest: &[u8]) -> Start {
    if rest == b"\r" {
        return Start::Undecided;
    }
    for method in METHODS {
        match rest.get(method.len()) {
            None if method.starts_with(rest) => return Start::Undecided,
            Some(b' ' | b'\t') if rest.starts_with(method) => return Start::Request,
            _ => {}
        }
    }
    Start::Other
}

/// Bytes taken by complete empty lines at the start of `buf`, counted only
/// within the first [`MAX_HEAD_BYTES`] like a head.
pub(super) fn leading_blank_len(buf: &[u8]) -> usize {
    let mut len = 0;
    while len < MAX_HEAD_BYTES {
        match buf.get(len..len + 2) {
            Some(b"\r\n") => len += 2,
            _ if buf.get(len) == Some(&b'\n') => len += 1,
            _ => break,
        }
    }
    len
}
