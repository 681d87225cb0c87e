//! Addresses for the reachability test, inside the sandbox's network namespace: greeting
//! servers (each answers `hello from NAME` and closes) on this "host"'s own addresses, and one
//! on an address that is not the host's: a second network namespace joined by a veth pair
//! (`HOST_ADDR` on our side stands for the server's public address, `OUTSIDE_ADDR` is the
//! internet).

use super::Killed;
use crate::helpers::wait_for;
use crate::privileged::sandbox::run;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

pub const HOST_ADDR: &str = "192.0.2.1";
pub const OUTSIDE_ADDR: &str = "192.0.2.2";

/// Serves `hello from NAME\n` to every connection on `listener`, from a thread.
pub fn greet(listener: TcpListener, name: &str) -> SocketAddr {
    let addr = listener.local_addr().unwrap();
    let greeting = format!("hello from {name}\n");
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(greeting.as_bytes());
        }
    });
    addr
}

/// A greeting server on `ip` (port `port`, 0 for any).
pub fn greeter(ip: &str, port: u16, name: &str) -> SocketAddr {
    greet(TcpListener::bind((ip.parse::<IpAddr>().unwrap(), port)).unwrap(), name)
}

/// What a plain TCP client reads from `addr` (empty when refused or closed at once).
pub fn read_from(addr: SocketAddr) -> String {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(3)) else {
        return String::new();
    };
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    text
}

/// The second namespace; its holder process lives as long as this value.
pub struct Outside {
    _holder: Killed,
    pub greeter: SocketAddr,
}

impl Outside {
    pub fn start() -> Outside {
        let holder = Killed(Command::new("unshare").args(["--net", "sleep", "600"]).spawn().unwrap());
        let pid = holder.0.id().to_string();
        let ns = format!("/proc/{pid}/ns/net");
        let mine = std::fs::read_link("/proc/self/ns/net").unwrap();
        let moved = wait_for(Duration::from_secs(5), || std::fs::read_link(&ns).ok().filter(|n| *n != mine));
        assert!(moved.is_some(), "unshare --net did not start");
        run("ip", &["link", "add", "wssout0", "type", "veth", "peer", "name", "wssout1", "netns", &pid]);
        run("ip", &["addr", "add", &format!("{HOST_ADDR}/24"), "dev", "wssout0"]);
        run("ip", &["link", "set", "wssout0", "up"]);
        let there = |args: &[&str]| run("nsenter", &[&["-t", pid.as_str(), "-n", "ip"], args].concat());
        there(&["addr", "add", &format!("{OUTSIDE_ADDR}/24"), "dev", "wssout1"]);
        there(&["link", "set", "wssout1", "up"]);
        there(&["link", "set", "lo", "up"]);
        // A listener made by a thread that joined the other namespace stays in it.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let file = std::fs::File::open(&ns).unwrap();
            nix::sched::setns(file, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            tx.send(TcpListener::bind((OUTSIDE_ADDR, 0)).unwrap()).unwrap();
        });
        let greeter = greet(rx.recv().unwrap(), "outside");
        let up = wait_for(Duration::from_secs(10), || Some(read_from(greeter)).filter(|t| !t.is_empty()));
        assert!(up.is_some(), "the outside server is not reachable from this namespace");
        Outside { _holder: holder, greeter }
    }
}
