//! Doctor's UDPGW check: a DNS query through the running UDPGW, as the apps send one (a
//! DNS-flagged frame on `127.0.0.1:udpgw_port`), answered by the host's resolver. The UDPGW
//! serves root as a probe that may send DNS-flagged queries only, so doctor needs no tunnel
//! account; run as another user it is refused like any non-tunnel account.

use super::Check;
use crate::config::Config;
use crate::proxy::udpgw::codec::{self, DNS, Request, Status};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(3);
const CONID: u16 = 0x0d0c;

/// A standard query for the root zone's NS records (ID 0xd0c7, recursion desired).
const QUERY: [u8; 17] = [0xd0, 0xc7, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1];

pub fn udpgw_dns(config: &Config) -> Check {
    let port = config.udpgw.port;
    if port == 0 {
        return Check::ok("udpgw", "off (udpgw_port 0): apps' UDP has no gateway here");
    }
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    match ask(addr) {
        Ok(()) => Check::ok(
            "udpgw",
            format!(
                "{addr} relayed a DNS query and the resolver answered in {} ms",
                started.elapsed().as_millis()
            ),
        ),
        Err(why) => Check::problem(
            "udpgw",
            format!("{addr}: {why}"),
            "journalctl -u wss | grep UDPGW (UDPGW_BIND_FAILED: another program, e.g. badvpn, holds the port); \
             check the first nameserver in /etc/resolv.conf answers",
        ),
    }
}

fn ask(addr: SocketAddr) -> Result<(), String> {
    let mut stream = TcpStream::connect_timeout(&addr, WAIT).map_err(|e| format!("cannot connect: {e}"))?;
    stream.set_read_timeout(Some(WAIT)).map_err(|e| e.to_string())?;
    let mut frame = Vec::new();
    // The address is replaced by the resolver's for DNS-flagged frames.
    codec::encode(DNS, CONID, SocketAddr::from(([0, 0, 0, 0], 53)), &QUERY, &mut frame)
        .ok_or("query too long")?;
    stream.write_all(&frame).map_err(|e| format!("cannot send: {e}"))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) => return Err("the UDPGW closed the connection (not run as root?)".into()),
            Ok(n) => n,
            Err(e) => return Err(format!("no answer within {} s: {e}", WAIT.as_secs())),
        };
        buf.extend_from_slice(&chunk[..n]);
        match codec::decode(&buf, codec::max_payload(codec::DEFAULT_UDP_MTU)) {
            Ok(Status::Complete(Request::Datagram(d), _)) if d.conid == CONID => return Ok(()),
            Ok(Status::Partial) => continue,
            Ok(_) => return Err("an answer for another flow".into()),
            Err(e) => return Err(format!("a malformed answer: {e}")),
        }
    }
}
