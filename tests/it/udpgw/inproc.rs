//! The UDPGW's rules over real loopback sockets, served in-process with every client
//! attributed to one user (the attribution itself is tested end to end in [`super::e2e`]).

use super::app::{AppClient, echo_server, port_reporter, test_resolver};
use crate::helpers::wait_for;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;
use wss_panel::config::UdpgwConfig;
use wss_panel::proxy::state::{NodeState, UserEntry};
use wss_panel::proxy::udpgw::codec::{DNS, REBIND};
use wss_panel::proxy::udpgw::{self, Attribution, Gateway};
use wss_panel::wire::{PanelToProxy, UserLimits};

struct Server {
    addr: SocketAddr,
    node: Arc<NodeState>,
    user: Arc<UserEntry>,
    gw: Arc<Gateway>,
    _dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

impl Server {
    fn start(tune: impl FnOnce(&mut UdpgwConfig)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut config = UdpgwConfig {
            port: 0,
            max_clients: 16,
            max_flows_per_client: 16,
            max_flows_per_user: 0,
            flow_idle: Duration::from_secs(60),
            client_timeout: Duration::from_secs(20),
            udp_mtu: 65_520,
            resolv_conf: test_resolver(dir.path()),
            // The echo servers live on loopback: allowed here, refused by default (see
            // `this_hosts_own_addresses_are_refused_unless_listed`).
            allow_local: vec!["127.0.0.1:0".parse().unwrap(), "[::1]:0".parse().unwrap()],
        };
        tune(&mut config);
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let node = Arc::new(NodeState::new("udpgw-test".into()));
        let limits = UserLimits { rate_kbps: 0, max_connections: 0, require_auth_header: false };
        let user = node.user("tun1", limits);
        let stop = tokio_util::sync::CancellationToken::new();
        let gw = Arc::new(Gateway::new(config, node.clone(), Attribution::Fixed(user.clone()), stop));
        let listener = rt.block_on(async { udpgw::bind(0) }).unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(udpgw::serve(listener, gw.clone()));
        Server { addr, node, user, gw, _dir: dir, _rt: rt }
    }

    fn client(&self) -> AppClient {
        AppClient::tcp(TcpStream::connect(self.addr).unwrap())
    }

    /// Waits (bounded) until the user's live flows are `n`.
    fn flows_become(&self, n: u32) {
        let done = wait_for(Duration::from_secs(10), || (self.user.udp.live_flows() == n).then_some(()));
        assert!(done.is_some(), "live flows stayed {} (wanted {n})", self.user.udp.live_flows());
    }
}

#[test]
fn datagrams_reach_ipv4_ipv6_and_the_resolver_framed_with_the_asked_address() {
    let server = Server::start(|_| {});
    let mut app = server.client();
    let v4 = echo_server("127.0.0.1:0", b"v4:");
    let v6 = echo_server("[::1]:0", b"v6:");
    assert_eq!(app.echo(0, 1, v4, b"ping"), b"v4:ping");
    assert_eq!(app.echo(0, 2, v6, b"ping6"), b"v6:ping6");
    // The DNS flag sends the query to resolv.conf's nameserver, whatever address was given;
    // the reply is framed with the address the app asked for.
    let asked: SocketAddr = "192.0.2.1:53".parse().unwrap();
    assert_eq!(app.echo(DNS, 3, asked, b"query"), b"resolver:query");
    assert_eq!(app.echo(0, 1, v4, b"again"), b"v4:again");
    assert_eq!(server.user.udp.live_flows(), 3);
    let report = server.node.tick(std::time::Instant::now());
    let stats = &report.users["tun1"];
    assert_eq!((stats.udp_flows, stats.udp_datagrams_up, stats.udp_datagrams_down), (3, 4, 4));
}

/// issue 9: the UDPGW sends as the proxy's account, which the tunnel group's firewall does not
/// cover, so by default it refuses this host's own addresses itself; DNS-flagged queries still
/// reach the (loopback) resolver, and the operator's list opens exactly what it names.
#[test]
fn this_hosts_own_addresses_are_refused_unless_listed() {
    let v4 = echo_server("127.0.0.1:0", b"v4:");
    let v6 = echo_server("[::1]:0", b"v6:");
    let server = Server::start(|c| c.allow_local.clear());
    let mut app = server.client();
    app.send(0, 1, v4, b"to loopback");
    app.send(0, 2, v6, b"to ::1");
    app.send(0, 3, SocketAddr::new("::ffff:127.0.0.1".parse().unwrap(), v4.port()), b"mapped");
    // Frames are handled in order: once the DNS answer is back the three were refused.
    let asked: SocketAddr = "192.0.2.1:53".parse().unwrap();
    assert_eq!(app.echo(DNS, 4, asked, b"query"), b"resolver:query");
    assert_eq!(server.gw.refused_flows(), 3);
    assert_eq!(app.try_reply(Duration::from_millis(300)), None, "a loopback service answered");
    assert_eq!(server.user.udp.live_flows(), 1, "only the DNS flow");

    let other = echo_server("127.0.0.1:0", b"other:");
    let server = Server::start(|c| c.allow_local = vec![v4]);
    let mut app = server.client();
    assert_eq!(app.echo(0, 1, v4, b"listed"), b"v4:listed");
    app.send(0, 2, other, b"not listed");
    assert_eq!(app.echo(0, 1, v4, b"again"), b"v4:again");
    assert_eq!(server.gw.refused_flows(), 1);
}

#[test]
fn rebind_replaces_the_socket_keepalive_carries_nothing_and_a_new_address_is_a_new_flow() {
    let server = Server::start(|_| {});
    let mut app = server.client();
    let reporter = port_reporter();
    let first = app.echo(0, 1, reporter, b"a");
    assert_eq!(app.echo(0, 1, reporter, b"b"), first, "one flow, one socket");
    let rebound = app.echo(REBIND, 1, reporter, b"c");
    assert_ne!(rebound, first, "REBIND opens a new socket");
    app.keepalive(1);
    app.keepalive(0x7777);
    assert_eq!(app.echo(0, 1, reporter, b"d"), rebound, "keepalives change nothing");
    assert_eq!(server.user.udp.live_flows(), 1, "a keepalive opens no flow");
    let other = port_reporter();
    let moved = app.echo(0, 1, other, b"e");
    assert_ne!(moved, rebound, "a conid sent to a new address gets a new socket");
    assert_eq!(server.user.udp.live_flows(), 1);
    assert_ne!(app.echo(0, 0xfffe, reporter, b"f"), moved, "an unknown conid opens a flow");
    assert_eq!(server.user.udp.live_flows(), 2);
}

#[test]
fn at_the_per_client_cap_the_least_recently_used_flow_is_closed() {
    let server = Server::start(|c| c.max_flows_per_client = 2);
    let mut app = server.client();
    let reporter = port_reporter();
    let one = app.echo(0, 1, reporter, b"1");
    let two = app.echo(0, 2, reporter, b"2");
    assert_eq!(app.echo(0, 1, reporter, b"1"), one); // 2 is now the least recently used
    app.echo(0, 3, reporter, b"3");
    assert_eq!(server.user.udp.live_flows(), 2);
    assert_eq!(app.echo(0, 1, reporter, b"1"), one, "flow 1 survived");
    assert_ne!(app.echo(0, 2, reporter, b"2"), two, "flow 2 was closed and reopened");
}

#[test]
fn the_per_user_cap_refuses_new_flows_across_clients_until_one_closes() {
    let server = Server::start(|c| c.max_flows_per_user = 1);
    let echo = echo_server("127.0.0.1:0", b"");
    let mut a = server.client();
    let mut b = server.client();
    assert_eq!(a.echo(0, 1, echo, b"a"), b"a");
    b.send(0, 1, echo, b"refused");
    let refused = wait_for(Duration::from_secs(10), || (server.gw.refused_flows() == 1).then_some(()));
    assert!(refused.is_some(), "the second client's flow was not refused");
    drop(a);
    server.flows_become(0);
    // The refused datagram never came back: the first reply is the one sent after.
    assert_eq!(b.echo(0, 1, echo, b"accepted"), b"accepted");
    assert_eq!(server.user.udp.live_flows(), 1);
}

#[test]
fn oversize_and_garbage_frames_close_only_that_client() {
    let server = Server::start(|c| c.udp_mtu = 512);
    let echo = echo_server("127.0.0.1:0", b"");
    let mut good = server.client();
    assert_eq!(good.echo(0, 1, echo, b"x"), b"x");
    let mut oversize = server.client();
    oversize.raw(&(3u16 + 18 + 513).to_le_bytes());
    assert!(oversize.closed(), "an oversize frame ends its client");
    let mut garbage = server.client();
    garbage.raw(&[3, 0, 0xf0, 1, 0]);
    assert!(garbage.closed(), "a frame with unknown flags ends its client");
    let mut short = server.client();
    short.raw(&[1, 0, 0]);
    assert!(short.closed(), "a frame shorter than its header ends its client");
    assert_eq!(good.echo(0, 1, echo, b"still"), b"still");
    let mut big = vec![0u8; 512];
    big[0] = b'm';
    assert_eq!(good.echo(0, 2, echo, &big), big, "a datagram of exactly udp_mtu passes");
}

#[test]
fn a_kick_closes_the_users_clients_and_their_flows() {
    let server = Server::start(|_| {});
    let echo = echo_server("127.0.0.1:0", b"");
    let mut app = server.client();
    app.echo(0, 1, echo, b"x");
    app.echo(0, 2, echo, b"y");
    assert_eq!(server.gw.live_flows(), 2);
    server.node.apply(PanelToProxy::Kick { username: "tun1".into() });
    assert!(app.closed(), "the kicked user's client stays open");
    server.flows_become(0);
    // The node's count drops when each flow's aborted receive task is dropped, just after.
    let node_flows = wait_for(Duration::from_secs(10), || (server.gw.live_flows() == 0).then_some(()));
    assert!(node_flows.is_some(), "the node still counts {} flows", server.gw.live_flows());
}

#[test]
fn a_silent_client_is_closed_and_keepalives_keep_one_open() {
    let server = Server::start(|c| c.client_timeout = Duration::from_secs(1));
    let echo = echo_server("127.0.0.1:0", b"");
    let mut kept = server.client();
    let silent = server.client();
    for _ in 0..6 {
        kept.keepalive(0);
        std::thread::sleep(Duration::from_millis(300)); // pacing, not synchronisation
    }
    assert_eq!(kept.echo(0, 1, echo, b"alive"), b"alive", "keepalives kept the client");
    assert!(silent.closed(), "a client silent past the timeout is closed");
}

#[test]
fn a_client_over_max_clients_is_refused_and_the_place_frees_on_close() {
    let server = Server::start(|c| c.max_clients = 1);
    let echo = echo_server("127.0.0.1:0", b"");
    let mut first = server.client();
    assert_eq!(first.echo(0, 1, echo, b"1"), b"1");
    let second = server.client();
    assert!(second.closed(), "a second client past max_clients is closed");
    drop(first);
    let reopened = wait_for(Duration::from_secs(10), || {
        let mut c = server.client();
        c.send(0, 1, echo, b"3");
        c.try_reply(Duration::from_secs(2)).filter(|r| r.2 == b"3")
    });
    assert!(reopened.is_some(), "the place of a closed client is free again");
}
