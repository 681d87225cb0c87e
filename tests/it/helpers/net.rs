//! Loopback peers for proxy tests: an echo upstream that records what it received, and a
//! raw tunnel client.

use base64::Engine;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What one connection received.
pub type Recording = Arc<Mutex<Vec<u8>>>;

/// Echoes every connection and records, per connection, every byte it received.
pub struct EchoServer {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Recording>>>,
}

impl EchoServer {
    pub fn start() -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let received: Arc<Mutex<Vec<Recording>>> = Default::default();
        let all = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let record: Arc<Mutex<Vec<u8>>> = Default::default();
                all.lock().unwrap().push(record.clone());
                std::thread::spawn(move || echo(stream, record));
            }
        });
        EchoServer { addr, received }
    }

    /// What connection `i` has received so far.
    pub fn bytes(&self, i: usize) -> Vec<u8> {
        self.received.lock().unwrap().get(i).map(|r| r.lock().unwrap().clone()).unwrap_or_default()
    }

    pub fn connections(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}

fn echo(mut stream: TcpStream, record: Arc<Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 65536];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                record.lock().unwrap().extend_from_slice(&buf[..n]);
                if stream.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

pub fn basic(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// An upgrade head with Basic credentials.
pub fn upgrade_head(user: &str, password: &str) -> String {
    format!(
        "GET / HTTP/1.1\r\nHost: tunnel.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nProxy-Authorization: Basic {}\r\n\r\n",
        basic(user, password)
    )
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// Reads one response head (up to and including the blank line), byte by byte so that
/// nothing after it is consumed.
pub fn read_head(s: &mut impl Read) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Opens an authenticated tunnel and checks the 101.
pub fn open_tunnel(addr: SocketAddr, user: &str, password: &str) -> TcpStream {
    let mut s = connect(addr);
    s.write_all(upgrade_head(user, password).as_bytes()).unwrap();
    let head = read_head(&mut s);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    s
}

/// Status line of the response to `payload`.
pub fn status_of(addr: SocketAddr, payload: &str) -> String {
    let mut s = connect(addr);
    s.write_all(payload.as_bytes()).unwrap();
    read_head(&mut s).lines().next().unwrap_or_default().to_owned()
}

/// Reads exactly `n` bytes.
pub fn read_exact(s: &mut impl Read, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    s.read_exact(&mut buf).unwrap();
    buf
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// True if the peer closes `s` (EOF or reset) within `limit`; a timeout is not a close.
pub fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 4096];
    let deadline = std::time::Instant::now() + limit;
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) if std::time::Instant::now() < deadline => continue,
            Ok(_) => return false,
            Err(e) => {
                return !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut);
            }
        }
    }
}
