//! A tunnel customer forwards through its own tunnel (`ssh -W`, `ssh -N -D`) and tries this
//! host's services: the panel (its `/metrics` included), the main sshd, the stunnel sshd, a
//! service on 127.0.0.1, one on ::1, one on the host's public address. The kernel refuses
//! them all for the tunnel group; the proxy's UDPGW on loopback and an address outside the
//! host answer.
//! Root (outside the group) reaches every one of them, so the refusals are the group's.

use super::outside::{HOST_ADDR, Outside, greeter, read_from};
use super::{Host, Killed, TOOLS, TUNNEL_PASSWORD, TUNNEL_USER, text};
use crate::helpers::sshd::free_port;
use crate::helpers::wait_for;
use crate::privileged::sandbox;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Stdio;
use std::time::Duration;

#[test]
fn tunnel_users_reach_udpgw_and_the_outside_but_none_of_the_hosts_own_services() {
    sandbox::scenario_test(
        module_path!(),
        "tunnel_users_reach_udpgw_and_the_outside_but_none_of_the_hosts_own_services",
        true,
        TOOLS,
        inside,
    );
}

/// The staged install's `sshd_config_stunnel`, run as its unit runs it, on a free port.
fn start_sshd_stunnel(host: &Host) -> (Killed, u16) {
    let port = free_port();
    let config = std::fs::read_to_string(host.stage.path("/etc/ssh/sshd_config_stunnel"))
        .unwrap()
        .replace("Port 2222", &format!("Port {port}"))
        .replace(
            "PidFile /run/sshd_stunnel.pid",
            &format!("PidFile {}/stunnel-sshd.pid", host.work.path().display()),
        );
    let path = host.work.path().join("sshd_config_stunnel");
    std::fs::write(&path, config).unwrap();
    let child = std::process::Command::new("/usr/sbin/sshd")
        .arg("-D")
        .arg("-f")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let up = wait_for(Duration::from_secs(10), || TcpStream::connect(("127.0.0.1", port)).ok());
    assert!(up.is_some(), "sshd_stunnel did not listen on {port}");
    (Killed(child), port)
}

/// `ssh -W ADDR` as the tunnel customer: what the forwarded stream said, and ssh's report.
fn forward_once(host: &Host, addr: SocketAddr) -> (String, String) {
    let out = host.ssh(TUNNEL_USER, TUNNEL_PASSWORD, &["-W", &addr.to_string()], &[]);
    (String::from_utf8_lossy(&out.stdout).into_owned(), text(&out))
}

/// A SOCKS5 CONNECT through `ssh -D` to `addr`, then `request`: the bytes that came back
/// (none when ssh closes the SOCKS stream or answers with a failure code).
fn through_socks(socks: u16, addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let SocketAddr::V4(v4) = addr else { panic!("IPv4 only here") };
    let mut s = TcpStream::connect(("127.0.0.1", socks)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&[5, 1, 0]).unwrap();
    let mut hello = [0u8; 2];
    s.read_exact(&mut hello).unwrap();
    assert_eq!(hello, [5, 0]);
    let mut connect = vec![5, 1, 0, 1];
    connect.extend(v4.ip().octets());
    connect.extend(v4.port().to_be_bytes());
    s.write_all(&connect).unwrap();
    let mut reply = [0u8; 10];
    if s.read_exact(&mut reply).is_err() || reply[1] != 0 {
        return Vec::new(); // closed, or a SOCKS failure code
    }
    let _ = s.write_all(request);
    let mut body = Vec::new();
    let _ = s.read_to_end(&mut body);
    body
}

fn inside() {
    sandbox::enter();
    let outside = Outside::start();
    let udpgw_port = free_port();
    // One local UDP service the operator offers through the UDPGW; another it does not.
    let echo = crate::udpgw::app::echo_server("127.0.0.1:0", b"echo:");
    let unlisted = crate::udpgw::app::echo_server("127.0.0.1:0", b"unlisted:");
    let host = Host::start_with(udpgw_port, serde_json::json!({ "udpgw_allow_local": [echo] }));
    let (_stunnel_sshd, stunnel_sshd_port) = start_sshd_stunnel(&host);
    let local = greeter("127.0.0.1", 0, "a local service");
    let local6 = greeter("::1", 0, "a local IPv6 service");
    let public = greeter(HOST_ADDR, 0, "the host's public address");
    let at = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
    let (panel, sshd, stunnel_sshd) = (at(host.panel_port()), at(host.sshd_port), at(stunnel_sshd_port));

    // Root, outside the group, reaches all of them: each target is up.
    for addr in [local, local6, public, outside.greeter] {
        assert!(read_from(addr).starts_with("hello from"), "{addr} is not up");
    }
    for addr in [panel, sshd, stunnel_sshd] {
        assert!(TcpStream::connect(addr).is_ok(), "{addr} is not up");
    }

    for (addr, name) in [
        (panel, "the panel"),
        (sshd, "the main sshd"),
        (stunnel_sshd, "sshd_stunnel"),
        (local, "a service on 127.0.0.1"),
        (local6, "a service on ::1"),
        (public, "the host's public address"),
    ] {
        let (said, report) = forward_once(&host, addr);
        assert!(said.is_empty(), "the tunnel user reached {name} at {addr}: {said:?}");
        assert!(report.contains("stdio forwarding failed"), "{name}: not refused by the forward:\n{report}");
    }
    let (said, report) = forward_once(&host, outside.greeter);
    assert_eq!(said, "hello from outside\n", "outside at {}:\n{report}", outside.greeter);
    // The proxy's own UDPGW answers on udpgw_port: a datagram makes the round trip.
    let (mut app, _ssh) = crate::udpgw::e2e::through_ssh(&host, udpgw_port);
    assert_eq!(app.echo(0, 1, echo, b"udp"), b"echo:udp", "UDPGW through ssh -W");
    // The UDPGW sends as the proxy's account, out of the group rule's reach: it refuses this
    // host's own addresses itself unless listed (issue 9).
    app.send(0, 2, unlisted, b"udp");
    host.proxy.wait_for_log(&["UDPGW_FLOW_REFUSED", "this host's own address"]);
    assert_eq!(app.echo(0, 1, echo, b"again"), b"echo:again");
    assert_eq!(app.try_reply(std::time::Duration::from_millis(300)), None, "the unlisted service answered");

    // ssh -N -D: a SOCKS proxy through the tunnel, as a customer's browser would use it.
    let socks = free_port();
    let dynamic = host
        .ssh_command(
            TUNNEL_USER,
            TUNNEL_PASSWORD,
            &["-N", "-o", "ExitOnForwardFailure=yes", "-D", &format!("127.0.0.1:{socks}")],
            &[],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _dynamic = Killed(dynamic);
    let up = wait_for(Duration::from_secs(20), || TcpStream::connect(("127.0.0.1", socks)).ok());
    assert!(up.is_some(), "ssh -D did not open its SOCKS port");
    let metrics = through_socks(socks, panel, b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    assert!(metrics.is_empty(), "the panel answered through SOCKS: {}", String::from_utf8_lossy(&metrics));
    assert!(through_socks(socks, public, b"").is_empty(), "the public address answered through SOCKS");
    assert_eq!(through_socks(socks, outside.greeter, b""), b"hello from outside\n");
}
