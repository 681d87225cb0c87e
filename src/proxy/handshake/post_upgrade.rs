//! The request head some tunnel apps send after the `101`, eaten before piping to sshd.

use super::head::Scanner;
use super::{DEFAULT_MAX_HEADER_LINES, HandshakeError, MAX_HEAD_BYTES, SSH_BANNER, Status};

/// How many leading bytes of what the client sent after the `101` to discard
/// before piping to sshd, because some apps send one more request head first.
///
/// The rule, on the bytes received since the 101:
/// - Leading empty lines (`\r\n` or `\n`) are always discarded: sshd refuses
///   anything before its banner, so they can only break the tunnel.
/// - `SSH-` next: the client's banner; discard only the empty lines.
/// - A complete request head (same grammar as [`parse`]): discard it.
/// - A first line that cannot be a request line (binary, TLS, a lone `SSH`
///   word...): not ours to judge; discard only the empty lines, sshd decides.
/// - A valid request line followed by a malformed head (bad header, NUL, over
///   [`MAX_HEAD_BYTES`]): the error, since that is a broken HTTP request.
/// - Otherwise `Partial`: still a prefix of `SSH-` (`"SS"`) or of a request
///   (`"GE"`, a head without its blank line). A prefix of `buf` gives
///   `Partial` or the same answer, so calling this after every read is safe.
pub fn strip_post_upgrade_request(buf: &[u8]) -> Result<Status<usize>, HandshakeError> {
    let blank = leading_blank_len(buf);
    let rest = buf.get(blank..).unwrap_or_default();
    let shared = rest.len().min(SSH_BANNER.len());
    if rest.get(..shared) == SSH_BANNER.get(..shared) {
        return Ok(if shared == SSH_BANNER.len() { Status::Complete(blank) } else { Status::Partial });
    }
    let mut scanner = Scanner::default();
    match scanner.advance(buf, DEFAULT_MAX_HEADER_LINES) {
        Ok(Status::Complete(head)) => Ok(Status::Complete(head.len)),
        Ok(Status::Partial) => Ok(Status::Partial),
        Err(err) if scanner.request.is_some() => Err(err),
        Err(_) => Ok(Status::Complete(blank)),
    }
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
