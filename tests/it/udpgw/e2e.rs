//! The real path, inside the privileged sandbox: a tunnel account logs in with OpenSSH
//! through the WSS proxy, `ssh -W 127.0.0.1:UDPGW` carries an app's UDPGW stream, and the
//! proxy attributes it to the account by the uid owning sshd's end of the channel. Other
//! local uids are refused; a kick of the user closes its UDPGW clients.

use super::app::{AppClient, echo_server, port_reporter, test_resolver};
use crate::helpers::sshd::free_port;
use crate::helpers::wait_for;
use crate::privileged::sandbox;
use crate::tunnel_customer::{Host, Killed, TOOLS, TUNNEL_PASSWORD, TUNNEL_USER};
use serde_json::json;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;
use wss_panel::proxy::udpgw::codec::{DNS, REBIND};

#[test]
fn tunnel_apps_carry_udp_through_ssh_to_the_builtin_udpgw() {
    sandbox::scenario_test(
        module_path!(),
        "tunnel_apps_carry_udp_through_ssh_to_the_builtin_udpgw",
        true,
        TOOLS,
        inside,
    );
}

/// An app's UDPGW stream: `ssh -W 127.0.0.1:PORT` as the tunnel user, stdio as the stream.
pub fn through_ssh(host: &Host, port: u16) -> (AppClient, Killed) {
    let target = format!("127.0.0.1:{port}");
    let mut child = host
        .ssh_command(TUNNEL_USER, TUNNEL_PASSWORD, &["-W", &target], &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let app = AppClient::new(child.stdout.take().unwrap(), child.stdin.take().unwrap());
    (app, Killed(child))
}

fn inside() {
    sandbox::enter();
    let port = free_port();
    let work = tempfile::tempdir().unwrap();
    let resolv = test_resolver(work.path());
    let host = Host::start_with(
        port,
        json!({
            "udpgw_resolv_conf": resolv, "udpgw_max_flows_per_client": 2, "udpgw_udp_mtu": 1500,
            // The echo servers are on loopback (refused unless listed: `inproc`).
            "udpgw_allow_local": ["127.0.0.1:0", "[::1]:0"],
        }),
    );
    host.proxy.wait_for_log(&["UDPGW_LISTENING"]);
    let v4 = echo_server("127.0.0.1:0", b"v4:");
    let v6 = echo_server("[::1]:0", b"v6:");
    let reporter = port_reporter();

    let (mut app, _ssh) = through_ssh(&host, port);
    assert_eq!(app.echo(0, 1, v4, b"ping"), b"v4:ping");
    host.proxy.wait_for_log(&["UDPGW_CLIENT_START", TUNNEL_USER]);
    assert_eq!(app.echo(0, 2, v6, b"ping6"), b"v6:ping6");
    let asked: SocketAddr = "198.51.100.7:53".parse().unwrap();
    assert_eq!(app.echo(DNS, 3, asked, b"query"), b"resolver:query", "DNS goes to resolv.conf's server");
    // At the cap of 2: conid 3 (DNS) is the most recent, 1 the least; 7 evicts 1.
    let seven = app.echo(0, 7, reporter, b"a");
    assert_eq!(app.echo(0, 7, reporter, b"b"), seven);
    app.keepalive(7);
    let rebound = app.echo(REBIND, 7, reporter, b"c");
    assert_ne!(rebound, seven, "REBIND opened a new socket");
    assert_eq!(app.echo(0, 7, reporter, b"d"), rebound, "the KEEPALIVE changed nothing");
    assert_eq!(app.echo(0, 0x1234, v4, b"new"), b"v4:new", "an unknown conid opens a flow");

    // The node reports the user's flows and datagrams; the panel's /metrics shows them.
    let metrics = || {
        let mut reply = crate::helpers::agent()
            .get(&format!("{}/metrics", host.panel.url))
            .header("authorization", &format!("Bearer {}", host.panel.metrics_token()))
            .call()
            .ok()?;
        reply.body_mut().read_to_string().ok()
    };
    let reported = wait_for(Duration::from_secs(15), || {
        metrics().filter(|m| {
            m.contains("wss_udp_flows 2\n") && !m.contains("wss_udp_datagrams_total{direction=\"down\"} 0\n")
        })
    });
    assert!(reported.is_some(), "/metrics never showed the flows:\n{:?}", metrics());

    // The UI shows them: the user's live flows in the tunnels view, the total on the dashboard.
    crate::ui_browser::runtime().block_on(async {
        let Some(b) = crate::helpers::browser::Browser::start().await else { return };
        crate::ui_browser::log_in(&b, &host.panel.url).await;
        let total = b.wait_text("#d-udp", Duration::from_secs(10), |t| t == "2").await;
        assert_eq!(total.as_deref(), Some("2"), "the dashboard's UDP flows");
        b.client.goto(&format!("{}/#tunnels", host.panel.url)).await.unwrap();
        let cell = format!("#tunnels-body tr[data-user='{TUNNEL_USER}'] td.udp");
        let shown = b.wait_text(&cell, Duration::from_secs(10), |t| t == "2").await;
        assert_eq!(shown.as_deref(), Some("2"), "the tunnels view's UDP flows");
        b.quit().await;
    });

    // Bad frames end only their own client.
    let (mut oversize, _o) = through_ssh(&host, port);
    oversize.raw(&(3u16 + 18 + 1501).to_le_bytes());
    assert!(oversize.closed(), "an oversize frame ends its client");
    let (mut garbage, _g) = through_ssh(&host, port);
    garbage.raw(&[3, 0, 0xf0, 0, 0]);
    assert!(garbage.closed(), "a garbage frame ends its client");
    host.proxy.wait_for_log(&["UDPGW_CLIENT_END", "bad frame"]);
    assert_eq!(app.echo(0, 1, v4, b"still"), b"v4:still");

    // Root is served as doctor's probe: DNS-flagged queries only, counted against nobody.
    let mut root = AppClient::tcp(TcpStream::connect(("127.0.0.1", port)).unwrap());
    root.send(0, 1, v4, b"relay?");
    assert_eq!(root.echo(DNS, 2, asked, b"probe"), b"resolver:probe");
    assert_eq!(root.try_reply(Duration::from_millis(300)), None, "root's plain datagram was relayed");
    host.proxy.wait_for_log(&["UDPGW_FLOW_REFUSED", "(root probe)", "DNS-flagged queries only"]);
    drop(root);
    // `wss-panel doctor` sends such a query; a resolver that does not answer is a problem.
    let doctor = || {
        let out = Command::new(crate::helpers::BIN)
            .arg("--config")
            .arg(&host.panel.config)
            .arg("doctor")
            .output()
            .unwrap();
        crate::install::doctor::report_line(&String::from_utf8_lossy(&out.stdout), "udpgw")
    };
    let line = doctor();
    assert!(line.starts_with("OK") && line.contains("relayed a DNS query"), "{line}");
    let answering = std::fs::read_to_string(&resolv).unwrap();
    std::fs::write(&resolv, "nameserver 127.53.0.0\n").unwrap();
    let line = doctor();
    assert!(line.starts_with("PROBLEM") && line.contains("no answer within 3 s"), "{line}");
    std::fs::write(&resolv, answering).unwrap();

    // Local uids that are neither root nor tunnel accounts are refused.
    sandbox::run("useradd", &["-M", "-s", "/usr/sbin/nologin", "localsvc"]);
    let uid = nix::unistd::User::from_name("localsvc").unwrap().unwrap();
    let local = Command::new("bash")
        .args(["-c", &format!("exec 3<>/dev/tcp/127.0.0.1/{port}; cat <&3")])
        .uid(uid.uid.as_raw())
        .gid(uid.gid.as_raw())
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert!(local.stdout.is_empty());
    host.proxy.wait_for_log(&["UDPGW_CLIENT_REFUSED", "localsvc", "is not in group wss_tunnel"]);

    // A kick closes the user's UDPGW clients with its tunnels.
    let kicked = host.panel.api("POST", &format!("/api/users/{TUNNEL_USER}/kick"), None);
    assert!(kicked.status < 300, "{kicked:?}");
    assert!(app.closed(), "the kicked user's UDPGW client stayed open");
    host.proxy.wait_for_log(&["UDPGW_CLIENT_END", TUNNEL_USER, "kicked"]);
}
