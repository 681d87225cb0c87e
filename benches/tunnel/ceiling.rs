//! The ceiling: about the least work any relay can do here. A bare `splice(2)` relay inside
//! the bench process (two threads per connection, blocking calls; no runtime, no auth, no
//! metering, no logs) that answers any head with a 101 and forwards to the upstream. The
//! proxy is not expected to beat it, so its distance from direct TCP is what this machine
//! charges for a relay at all.

use nix::fcntl::{OFlag, SpliceFFlags, splice};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};

const PIPE_BYTES: usize = 64 * 1024;

/// Starts the relay on 127.0.0.1:0; it serves until the process exits.
pub fn start(upstream: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the ceiling relay");
    let addr = listener.local_addr().expect("relay address");
    std::thread::spawn(move || {
        for client in listener.incoming().map_while(Result::ok) {
            std::thread::spawn(move || relay(client, upstream));
        }
    });
    addr
}

fn relay(mut client: TcpStream, upstream: SocketAddr) -> io::Result<()> {
    client.set_nodelay(true)?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let up = TcpStream::connect(upstream)?;
    up.set_nodelay(true)?;
    client.write_all(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")?;
    let (client2, up2) = (client.try_clone()?, up.try_clone()?);
    let down = std::thread::spawn(move || pump(&up2, &client2));
    let result = pump(&client, &up);
    let _ = down.join();
    result
}

/// Socket → pipe → socket until `src` ends, then half-closes `dst`.
fn pump(src: &TcpStream, dst: &TcpStream) -> io::Result<()> {
    let (pipe_read, pipe_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
    loop {
        let n = splice(src, None, &pipe_write, None, PIPE_BYTES, SpliceFFlags::SPLICE_F_MOVE)?;
        if n == 0 {
            return dst.shutdown(Shutdown::Write);
        }
        let mut left = n;
        while left > 0 {
            match splice(&pipe_read, None, dst, None, left, SpliceFFlags::SPLICE_F_MOVE)? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                m => left -= m,
            }
        }
    }
}
