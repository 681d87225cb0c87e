//! The pre-tunnel phase of a proxy connection, as a function of bytes: parsing
//! the HTTP request heads that tunnel apps (HTTP Injector, HTTP Custom, ...)
//! send as their "payload", telling dummy heads (answered `200 OK` and eaten)
//! from the upgrade head (answered `101`), and eating the one extra request
//! some apps send after the 101. No I/O: `session.rs` reads, writes, times out
//! and authenticates.
//!
//! Lenient where payloads are hand-written (any method token, any target, a
//! missing version, bare `\n`, blank lines before the request line, blanks
//! around the colon); strict where leniency buys nothing but risk (NUL and
//! control bytes, lines without a colon, heads over [`MAX_HEAD_BYTES`]).
//! Message bodies are never read: payload apps declare `Content-Length`s they
//! do not send, so honouring them would swallow the tunnel's first bytes.

use thiserror::Error;

mod credentials;
mod head;
mod post_upgrade;
#[cfg(test)]
mod tests;

use head::Scanner;
pub use head::{Head, parse};
pub use post_upgrade::strip_post_upgrade_request;

/// A head that has not ended within this many bytes is refused. No payload
/// app sends more, and it bounds what an unauthenticated client makes us buffer.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Header lines one head may have, unless configured otherwise (`max_header_lines`).
/// Payload apps send a dozen; the cap keeps a head of thousands of tiny lines from turning
/// into thousands of entries held for an unauthenticated client.
pub const DEFAULT_MAX_HEADER_LINES: usize = 100;

/// Dummy heads accepted before the upgrade head. Real payloads send a
/// handful; the cap bounds the work an unauthenticated client can ask for.
pub const MAX_DUMMY_HEADS: usize = 32;

/// Outcome of parsing a possibly incomplete buffer (as `httparse::Status`):
/// needing more bytes is not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status<T> {
    Partial,
    Complete(T),
}

/// Why the pre-tunnel bytes were refused. Every variant is the client's doing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HandshakeError {
    #[error("request head longer than {MAX_HEAD_BYTES} bytes")]
    TooLarge,
    #[error("malformed request line")]
    BadRequestLine,
    #[error("malformed header line")]
    BadHeader,
    #[error("NUL byte in request head")]
    NulByte,
    #[error("malformed Proxy-Authorization credentials")]
    BadCredentials,
    #[error("more than {MAX_DUMMY_HEADS} request heads before the upgrade")]
    TooManyHeads,
    #[error("more than {max} header lines in one request head")]
    TooManyHeaderLines { max: usize },
}

/// What the pre-tunnel phase wants done next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// No complete head is buffered: read more and `feed` it.
    NeedMore,
    /// A head without upgrade, already consumed: answer `200 OK`, keep reading.
    Dummy(Head),
    /// The upgrade head, already consumed: authenticate, answer `101`, then
    /// hand [`Handshake::take_rest`] to sshd before piping.
    Upgrade(Head),
}

/// Sans-io driver of the pre-tunnel phase: `feed` what was read, then call
/// `next` until it says [`Step::NeedMore`].
#[derive(Debug)]
pub struct Handshake {
    buf: Vec<u8>,
    scanner: Scanner,
    max_headers: usize,
    dummies: usize,
    upgraded: bool,
    failed: Option<HandshakeError>,
}

impl Default for Handshake {
    fn default() -> Self {
        Self::with_max_header_lines(DEFAULT_MAX_HEADER_LINES)
    }
}

impl Handshake {
    pub fn new() -> Self {
        Self::default()
    }

    /// A handshake whose heads may have at most `max` header lines each.
    pub fn with_max_header_lines(max: usize) -> Self {
        Handshake {
            buf: Vec::new(),
            scanner: Scanner::default(),
            max_headers: max,
            dummies: 0,
            upgraded: false,
            failed: None,
        }
    }

    /// Appends bytes as read. The caller bounds its reads; heads are bounded
    /// by [`MAX_HEAD_BYTES`] once `next` looks at them.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next step. Several heads in one `feed` come out one per call.
    /// An error is final: every later call returns it again. After
    /// [`Step::Upgrade`] nothing is parsed any more and this returns
    /// `NeedMore`; the bytes are the tunnel's, for [`Handshake::take_rest`].
    #[expect(
        clippy::should_implement_trait,
        reason = "not an Iterator: it returns a Result, and NeedMore is no end"
    )]
    pub fn next(&mut self) -> Result<Step, HandshakeError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if self.upgraded {
            return Ok(Step::NeedMore);
        }
        let head = match self.scanner.advance(&self.buf, self.max_headers) {
            Ok(Status::Partial) => return Ok(Step::NeedMore),
            Ok(Status::Complete(head)) => head,
            Err(err) => return Err(self.fail(err)),
        };
        self.buf.drain(..head.len);
        self.scanner = Scanner::default();
        if head.is_upgrade() {
            self.upgraded = true;
            return Ok(Step::Upgrade(head));
        }
        self.dummies += 1;
        if self.dummies > MAX_DUMMY_HEADS {
            return Err(self.fail(HandshakeError::TooManyHeads));
        }
        Ok(Step::Dummy(head))
    }

    fn fail(&mut self, err: HandshakeError) -> HandshakeError {
        self.failed = Some(err.clone());
        err
    }

    /// Everything buffered and not consumed by a head, in order: after the
    /// upgrade these are the tunnel's first bytes.
    pub fn take_rest(&mut self) -> Vec<u8> {
        self.scanner = Scanner::default();
        std::mem::take(&mut self.buf)
    }
}

/// Steps, final error and the bytes left for sshd, as [`replay`] reports them (no leftovers
/// after an error: the connection would be closed).
pub type Replay = (Vec<Step>, Option<HandshakeError>, Vec<u8>);

/// Feeds `chunks` one by one, draining the steps after each, as the session does: the
/// reference the unit tests, the fuzz harness and the fuzz target compare splits with.
pub fn replay(chunks: &[&[u8]]) -> Replay {
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
