//! One request head: the resumable byte scanner that judges each byte once, the request
//! line and header grammar, and what the proxy reads from a finished head (upgrade, Host,
//! credentials, `?user=`).

use super::credentials::parse_basic;
use super::{DEFAULT_MAX_HEADER_LINES, HandshakeError, MAX_HEAD_BYTES, Status};

/// One parsed request head. Values are trimmed; names keep the client's case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    /// Bytes the head occupied at the start of the buffer: leading blank
    /// lines and the terminating blank line included.
    pub len: usize,
}

impl Head {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name).next()
    }

    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim())
    }

    /// Whether this head asks for the tunnel. Payloads are sloppy, so either
    /// half of the usual `Upgrade: websocket` + `Connection: Upgrade` pair is enough.
    pub fn is_upgrade(&self) -> bool {
        let websocket = |v: &str| v.as_bytes().windows(9).any(|w| w.eq_ignore_ascii_case(b"websocket"));
        let upgrade_token = |v: &str| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("upgrade"));
        self.header_values("upgrade").any(websocket) || self.header_values("connection").any(upgrade_token)
    }

    /// The `Host` header without port, lowercased, without a trailing dot.
    /// `[::1]:80` gives `::1`; an unbracketed value with several colons is
    /// taken as a bare IPv6 address and kept whole.
    pub fn host(&self) -> Option<String> {
        let raw = self.header("host")?;
        let host = match raw.strip_prefix('[') {
            Some(bracketed) => bracketed.split_once(']')?.0,
            None => match raw.split_once(':') {
                Some((name, port)) if !port.contains(':') => name,
                _ => raw,
            },
        };
        let host = host.strip_suffix('.').unwrap_or(host);
        (!host.is_empty()).then(|| host.to_ascii_lowercase())
    }

    /// `Proxy-Authorization: Basic base64(user:pass)`, split at the first
    /// colon so passwords may contain colons. An absent header is `Ok(None)`;
    /// any other scheme is an error, so a client that tried to authenticate
    /// is never silently treated as one that did not.
    pub fn basic_credentials(&self) -> Result<Option<(String, String)>, HandshakeError> {
        match self.header("proxy-authorization") {
            None => Ok(None),
            Some(value) => parse_basic(value).map(Some).ok_or(HandshakeError::BadCredentials),
        }
    }

    /// The first non-empty `user` query parameter of the target
    /// (`/?user=NAME`, `/path?x=1&user=NAME`), as sent: no percent-decoding.
    pub fn uri_user(&self) -> Option<String> {
        let (_, query) = self.target.split_once('?')?;
        let query = query.split('#').next().unwrap_or(query);
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("user="))
            .filter(|user| !user.is_empty())
            .map(str::to_owned)
    }
}

/// Parses one request head at the start of `buf`. Bytes after it are left
/// alone (`Head::len` says where they start). The result does not depend on
/// how `buf` was received: a prefix of `buf` gives `Partial` or the same result.
pub fn parse(buf: &[u8]) -> Result<Status<Head>, HandshakeError> {
    Scanner::default().advance(buf, DEFAULT_MAX_HEADER_LINES)
}

/// Where the scanner is within the current line; decides which bytes may come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Region {
    /// Start of a line before the request line, where blank lines are skipped.
    #[default]
    Leading,
    Method,
    /// Target and optional version.
    RequestRest,
    Name,
    Value,
}

/// A resumable scan of one head. Each byte is judged once, when it first
/// arrives, so a head trickled in byte by byte costs what it costs whole
/// (no quadratic rescans), and an error surfaces at its first offending byte
/// whatever the split.
#[derive(Debug, Default)]
pub(super) struct Scanner {
    pos: usize,
    line_start: usize,
    after_cr: bool,
    region: Region,
    pub(super) request: Option<(String, String)>,
    pub(super) headers: Vec<(String, String)>,
}

impl Scanner {
    /// Continues over `buf`, which must extend the buffer of earlier calls; a head with more
    /// than `max_headers` header lines is refused at the first line over.
    pub(super) fn advance(&mut self, buf: &[u8], max_headers: usize) -> Result<Status<Head>, HandshakeError> {
        let window = buf.get(..MAX_HEAD_BYTES).unwrap_or(buf);
        while let Some(&byte) = window.get(self.pos) {
            self.pos += 1;
            if byte != b'\n' {
                self.check_byte(byte)?;
            } else if let Some(head) = self.end_line(window, max_headers)? {
                return Ok(Status::Complete(head));
            }
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(HandshakeError::TooLarge);
        }
        Ok(Status::Partial)
    }

    /// Judges one byte that is not `\n` from what precedes it on its line.
    fn check_byte(&mut self, byte: u8) -> Result<(), HandshakeError> {
        let bad = match self.region {
            Region::Leading | Region::Method | Region::RequestRest => HandshakeError::BadRequestLine,
            Region::Name | Region::Value => HandshakeError::BadHeader,
        };
        if byte == 0 {
            return Err(HandshakeError::NulByte);
        }
        // CR only ever ends a line; elsewhere it would let a client smuggle
        // line breaks past anything that splits on CRLF.
        if self.after_cr {
            return Err(bad);
        }
        let blank = byte == b' ' || byte == b'\t';
        self.region = match (self.region, byte) {
            (_, b'\r') => {
                self.after_cr = true;
                self.region
            }
            (Region::Leading | Region::Method, b) if is_tchar(b) => Region::Method,
            (Region::Method, _) if blank => Region::RequestRest,
            (Region::RequestRest, b) if blank || b.is_ascii_graphic() => Region::RequestRest,
            (Region::Name, b':') => Region::Value,
            (Region::Name, b) if blank || is_tchar(b) => Region::Name,
            // obs-text (>= 0x80) is allowed in values: user agents carry it.
            (Region::Value, b) if blank || b.is_ascii_graphic() || b >= 0x80 => Region::Value,
            _ => return Err(bad),
        };
        Ok(())
    }

    /// Handles the line that the `\n` just before `self.pos` ended.
    fn end_line(&mut self, buf: &[u8], max_headers: usize) -> Result<Option<Head>, HandshakeError> {
        let content_end = self.pos - 1 - usize::from(self.after_cr);
        let line = buf.get(self.line_start..content_end).unwrap_or_default();
        self.line_start = self.pos;
        self.after_cr = false;
        self.region = Region::Name;
        if line.is_empty() && self.request.is_none() {
            self.region = Region::Leading;
        } else if line.is_empty() {
            let (method, target) = self.request.take().unwrap_or_default();
            let headers = std::mem::take(&mut self.headers);
            return Ok(Some(Head { method, target, headers, len: self.pos }));
        } else if self.request.is_none() {
            self.request = Some(parse_request_line(line)?);
        } else if self.headers.len() >= max_headers {
            return Err(HandshakeError::TooManyHeaderLines { max: max_headers });
        } else {
            self.headers.push(parse_header(line)?);
        }
        Ok(None)
    }
}

/// `METHOD TARGET [HTTP/x.y]`, any run of blanks between the parts. The bytes
/// were already vetted by `Scanner::check_byte`, so the method is a token.
fn parse_request_line(line: &[u8]) -> Result<(String, String), HandshakeError> {
    let bad = HandshakeError::BadRequestLine;
    let text = std::str::from_utf8(line).map_err(|_| HandshakeError::BadRequestLine)?;
    let mut parts = text.split_ascii_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(bad);
    };
    match (parts.next(), parts.next()) {
        (None, _) => {}
        (Some(version), None) if is_http_version(version) => {}
        _ => return Err(bad),
    }
    Ok((method.to_owned(), target.to_owned()))
}

fn is_http_version(text: &str) -> bool {
    let Some((proto, number)) = text.split_once('/') else {
        return false;
    };
    proto.eq_ignore_ascii_case("http")
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

fn parse_header(line: &[u8]) -> Result<(String, String), HandshakeError> {
    let colon = line.iter().position(|&b| b == b':').ok_or(HandshakeError::BadHeader)?;
    let (name, value) = line.split_at(colon);
    let name = name.trim_ascii();
    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
        return Err(HandshakeError::BadHeader);
    }
    // `value` still starts with the colon.
    let value = value.get(1..).unwrap_or_default().trim_ascii();
    Ok((String::from_utf8_lossy(name).into_owned(), String::from_utf8_lossy(value).into_owned()))
}

/// RFC 9110 `tchar`: what methods and header names are made of.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}
