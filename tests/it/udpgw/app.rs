//! What the tests play: a UDPGW client as the apps speak it (over any byte stream: a TCP
//! socket or `ssh -W`'s stdio), UDP echo servers and a test resolver.

use std::io::{Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc;
use std::time::Duration;
use wss_panel::proxy::udpgw::codec::{self, Request, Status};

/// How long a test waits for one reply.
pub const REPLY_WAIT: Duration = Duration::from_secs(10);

/// One reply: (conid, the address it is framed with, the datagram). `None` on the channel =
/// the server closed the stream.
pub type Reply = (u16, SocketAddr, Vec<u8>);

pub struct AppClient {
    writer: Box<dyn Write + Send>,
    replies: mpsc::Receiver<Option<Reply>>,
    /// Shut down when the client is dropped (the reader thread holds a clone).
    tcp: Option<std::net::TcpStream>,
}

impl Drop for AppClient {
    fn drop(&mut self) {
        if let Some(s) = &self.tcp {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
}

impl AppClient {
    /// Reads replies from `reader` on a thread; writes frames to `writer`.
    pub fn new(reader: impl Read + Send + 'static, writer: impl Write + Send + 'static) -> AppClient {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || read_replies(reader, tx));
        AppClient { writer: Box::new(writer), replies: rx, tcp: None }
    }

    /// A client over a TCP connection to the UDPGW.
    pub fn tcp(stream: std::net::TcpStream) -> AppClient {
        let mut client = AppClient::new(stream.try_clone().unwrap(), stream.try_clone().unwrap());
        client.tcp = Some(stream);
        client
    }

    pub fn send(&mut self, flags: u8, conid: u16, addr: SocketAddr, data: &[u8]) {
        let mut frame = Vec::new();
        codec::encode(flags, conid, addr, data, &mut frame).unwrap();
        self.raw(&frame);
    }

    pub fn keepalive(&mut self, conid: u16) {
        let mut frame = Vec::new();
        codec::encode_keepalive(conid, &mut frame);
        self.raw(&frame);
    }

    /// Writes bytes as they are (garbage, oversize); a closed stream is ignored here.
    pub fn raw(&mut self, bytes: &[u8]) {
        let _ = self.writer.write_all(bytes).and_then(|()| self.writer.flush());
    }

    /// The next reply; panics if none comes in time or the server closed.
    pub fn reply(&self) -> Reply {
        match self.replies.recv_timeout(REPLY_WAIT) {
            Ok(Some(r)) => r,
            Ok(None) => panic!("the UDPGW closed the client"),
            Err(e) => panic!("no reply: {e}"),
        }
    }

    /// The next reply within `wait`; `None` on timeout or close.
    pub fn try_reply(&self, wait: Duration) -> Option<Reply> {
        self.replies.recv_timeout(wait).ok().flatten()
    }

    /// A round trip on `conid`: the reply must come back on it, framed with `addr`.
    pub fn echo(&mut self, flags: u8, conid: u16, addr: SocketAddr, data: &[u8]) -> Vec<u8> {
        self.send(flags, conid, addr, data);
        let (c, a, d) = self.reply();
        assert_eq!((c, a), (conid, addr), "reply framing");
        d
    }

    /// True once the server has closed the stream (within `REPLY_WAIT`); replies still
    /// queued before the close are skipped.
    pub fn closed(&self) -> bool {
        let deadline = std::time::Instant::now() + REPLY_WAIT;
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.replies.recv_timeout(left) {
                Ok(Some(_)) => continue,
                Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => return true,
                Err(mpsc::RecvTimeoutError::Timeout) => return false,
            }
        }
        false
    }
}

fn read_replies(mut reader: impl Read, tx: mpsc::Sender<Option<Reply>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        loop {
            match codec::decode(&buf, usize::from(u16::MAX)) {
                Ok(Status::Complete(Request::Datagram(d), n)) => {
                    let _ = tx.send(Some((d.conid, d.dest, d.data.to_vec())));
                    buf.drain(..n);
                }
                Ok(Status::Complete(Request::Keepalive { .. }, n)) => drop(buf.drain(..n)),
                Ok(Status::Partial) => break,
                Err(e) => panic!("the server sent a bad frame: {e}"),
            }
        }
        match reader.read(&mut chunk) {
            Ok(0) | Err(_) => {
                let _ = tx.send(None);
                return;
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A UDP server on `addr` answering each datagram with `prefix` + the datagram, for as long
/// as the test runs. Returns where it listens.
pub fn echo_server(addr: &str, prefix: &'static [u8]) -> SocketAddr {
    let socket = UdpSocket::bind(addr).unwrap();
    let local = socket.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65_536];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let mut answer = prefix.to_vec();
            answer.extend_from_slice(&buf[..n]);
            let _ = socket.send_to(&answer, from);
        }
    });
    local
}

/// A UDP server answering each datagram with the port it came from: a new socket shows.
pub fn port_reporter() -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let local = socket.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((_, from)) = socket.recv_from(&mut buf) {
            let _ = socket.send_to(from.port().to_string().as_bytes(), from);
        }
    });
    local
}

/// A test resolver on a random 127.53.x.y, port 53 (resolv.conf has no port), and a
/// resolv.conf naming it, written into `dir`.
pub fn test_resolver(dir: &std::path::Path) -> std::path::PathBuf {
    let mut r = [0u8; 2];
    getrandom::fill(&mut r).unwrap();
    let ip = format!("127.53.{}.{}", r[0], r[1].max(1));
    echo_server(&format!("{ip}:53"), b"resolver:");
    let path = dir.join("resolv.conf");
    std::fs::write(&path, format!("# test\nnameserver {ip}\n")).unwrap();
    path
}
