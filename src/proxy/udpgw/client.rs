//! One UDPGW client (a tunnel app's `direct-tcpip` channel), start to end: frames in,
//! datagrams out on one connected UDP socket per flow, replies framed back. The client ends
//! on EOF, silence, a bad frame, a kick of its user, or shutdown; its flows end with it.

use super::Gateway;
use super::codec::{self, Datagram, Request, Status};
use super::flows::{self, Activity, FlowTable};
use super::{destination, resolver};
use crate::proxy::state::UserEntry;
use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// Reply frames queued for the client; when full, further datagrams are dropped (UDP
/// semantics) instead of stalling the flows.
const REPLY_QUEUE: usize = 256;
/// Bytes read from the client at a time.
const READ_CHUNK: usize = 16 * 1024;

/// Why a client ended.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    Eof,
    Silent,
    Kicked,
    Shutdown,
    BadFrame(codec::FrameError),
    Io(String),
}

impl End {
    pub fn reason(&self) -> String {
        match self {
            End::Eof => "eof".into(),
            End::Silent => "silent".into(),
            End::Kicked => "kicked".into(),
            End::Shutdown => "shutdown".into(),
            End::BadFrame(e) => format!("bad frame: {e}"),
            End::Io(e) => format!("io: {e}"),
        }
    }
}

/// A live flow: its socket's receiving task (aborted, socket closed, when dropped) and its
/// place in the user's flow count.
struct Flow {
    asked: SocketAddr,
    dns: bool,
    socket: Arc<tokio::net::UdpSocket>,
    recv: AbortHandle,
    user: Arc<UserEntry>,
}

impl Drop for Flow {
    fn drop(&mut self) {
        self.recv.abort();
        self.user.udp.close();
    }
}

struct Client<'a> {
    gw: &'a Gateway,
    user: Arc<UserEntry>,
    flows: FlowTable<Flow>,
    replies: mpsc::Sender<Vec<u8>>,
    started: Instant,
    last_stamp: u64,
    /// Root's health probe (`wss-panel doctor`): DNS-flagged queries only.
    dns_only: bool,
}

/// Serves one attributed client until it ends; returns why.
pub async fn run(gw: &Gateway, stream: TcpStream, user: Arc<UserEntry>, dns_only: bool) -> End {
    let kick = user.kick_token();
    let (mut rd, wr) = stream.into_split();
    let (tx, rx) = mpsc::channel(REPLY_QUEUE);
    let mut client = Client {
        gw,
        user,
        flows: FlowTable::new(gw.config.max_flows_per_client as usize),
        replies: tx,
        started: Instant::now(),
        last_stamp: 0,
        dns_only,
    };
    let writer = write_replies(wr, rx);
    tokio::pin!(writer);
    let mut sweep = tokio::time::interval(gw.config.flow_idle.min(std::time::Duration::from_secs(5)));
    let max_payload = codec::max_payload(gw.config.udp_mtu);
    let mut buf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut deadline = tokio::time::Instant::now() + gw.config.client_timeout;
    loop {
        buf.reserve(READ_CHUNK);
        tokio::select! {
            biased;
            _ = kick.cancelled() => return End::Kicked,
            _ = gw.stop.cancelled() => return End::Shutdown,
            e = &mut writer => return e,
            _ = sweep.tick() => client.sweep(),
            _ = tokio::time::sleep_until(deadline) => return End::Silent,
            read = rd.read_buf(&mut buf) => {
                match read {
                    Ok(0) => return End::Eof,
                    Ok(_) => deadline = tokio::time::Instant::now() + gw.config.client_timeout,
                    Err(e) => return End::Io(e.to_string()),
                }
                let mut used = 0;
                loop {
                    match codec::decode(&buf[used..], max_payload) {
                        Ok(Status::Partial) => break,
                        Ok(Status::Complete(request, n)) => {
                            used += n;
                            if let Request::Datagram(d) = request {
                                client.datagram(d);
                            }
                        }
                        Err(e) => return End::BadFrame(e),
                    }
                }
                buf.drain(..used);
            }
        }
    }
}

/// Writes queued reply frames until the client goes away.
async fn write_replies(mut wr: OwnedWriteHalf, mut rx: mpsc::Receiver<Vec<u8>>) -> End {
    while let Some(frame) = rx.recv().await {
        if let Err(e) = wr.write_all(&frame).await {
            return End::Io(e.to_string());
        }
    }
    std::future::pending().await
}

impl Client<'_> {
    /// Microseconds since the client started, strictly increasing between calls so that
    /// the least recently used flow is always well defined.
    fn stamp(&mut self) -> u64 {
        self.last_stamp = (self.started.elapsed().as_micros() as u64).max(self.last_stamp + 1);
        self.last_stamp
    }

    fn sweep(&mut self) {
        let (now, idle) = (self.stamp(), self.gw.config.flow_idle.as_micros() as u64);
        for (conid, _) in self.flows.sweep(now, idle) {
            tracing::debug!(event = "UDPGW_FLOW_IDLE", conid);
        }
    }

    fn datagram(&mut self, d: Datagram<'_>) {
        let stale = self.flows.get(d.conid).is_some_and(|f| d.rebind || f.asked != d.dest || f.dns != d.dns);
        if stale {
            self.flows.remove(d.conid);
        }
        if self.flows.get(d.conid).is_none() && !self.open(&d) {
            return;
        }
        let Some(flow) = self.flows.get(d.conid) else { return };
        // Straight to the kernel: tokio's `try_send` reports WouldBlock on a socket the
        // reactor has not yet seen writable, which would lose a new flow's first datagram.
        // A full socket buffer or a late ICMP error loses the datagram, as UDP allows.
        let _ = socket2::SockRef::from(flow.socket.as_ref()).send(d.data);
        self.user.udp.datagrams_up.fetch_add(1, Ordering::Relaxed);
        let now = self.stamp();
        self.flows.touch(d.conid, now);
    }

    /// Opens a flow for `d` (evicting the least recently used at the cap); false if refused.
    fn open(&mut self, d: &Datagram<'_>) -> bool {
        let user = self.user.clone();
        let gw = self.gw;
        let refuse = |reason: &str| {
            gw.count_refused();
            tracing::warn!(event = "UDPGW_FLOW_REFUSED", user = %user.name, conid = d.conid, dest = %d.dest, reason);
            false
        };
        if self.dns_only && !d.dns {
            return refuse("the root probe sends DNS-flagged queries only");
        }
        let target = if d.dns {
            match resolver::resolver(&self.gw.config.resolv_conf) {
                Some(t) => t,
                None => return refuse("no nameserver in resolv.conf"),
            }
        } else if let Some(why) = destination::refusal(d.dest, &self.gw.config.allow_local) {
            return refuse(why);
        } else {
            d.dest
        };
        if let Some((conid, _)) = self.flows.evict_for_new() {
            tracing::debug!(event = "UDPGW_FLOW_EVICTED", user = %self.user.name, conid);
        }
        if !self.user.udp.try_open(self.gw.config.max_flows_per_user) {
            return refuse("flows per user");
        }
        let Some(node_slot) = self.gw.flow_slot() else {
            self.user.udp.close();
            return refuse("flows on this node");
        };
        let socket = match connected_socket(target) {
            Ok(s) => Arc::new(s),
            Err(e) => {
                self.user.udp.close();
                return refuse(&format!("socket: {e}"));
            }
        };
        let activity = flows::activity(self.stamp());
        let recv = tokio::spawn(receive(
            Receiver { socket: socket.clone(), conid: d.conid, asked: d.dest, activity: activity.clone() },
            self.started,
            self.replies.clone(),
            self.user.clone(),
            node_slot,
        ))
        .abort_handle();
        let flow = Flow { asked: d.dest, dns: d.dns, socket, recv, user: self.user.clone() };
        self.flows.insert(d.conid, flow, activity);
        tracing::debug!(event = "UDPGW_FLOW_OPENED", user = %self.user.name, conid = d.conid, dest = %d.dest, dns = d.dns);
        true
    }
}

/// A UDP socket of `target`'s family, connected to it (only its replies arrive).
fn connected_socket(target: SocketAddr) -> std::io::Result<tokio::net::UdpSocket> {
    let any: SocketAddr =
        if target.is_ipv6() { "[::]:0".parse() } else { "0.0.0.0:0".parse() }.expect("a literal address");
    let socket = std::net::UdpSocket::bind(any)?;
    socket.connect(target)?;
    socket.set_nonblocking(true)?;
    tokio::net::UdpSocket::from_std(socket)
}

thread_local! {
    /// One receive buffer per worker thread: idle flows hold no buffer.
    static RECV_BUF: RefCell<Vec<u8>> = RefCell::new(vec![0; 65_536]);
}

/// A flow's receiving side.
struct Receiver {
    socket: Arc<tokio::net::UdpSocket>,
    conid: u16,
    asked: SocketAddr,
    activity: Activity,
}

/// Frames every datagram from the flow's destination with the address the client asked for.
async fn receive(
    r: Receiver,
    started: Instant,
    replies: mpsc::Sender<Vec<u8>>,
    user: Arc<UserEntry>,
    _node_slot: super::NodeFlowSlot,
) {
    let Receiver { socket, conid, asked, activity } = r;
    loop {
        if socket.readable().await.is_err() {
            return;
        }
        let frame = RECV_BUF.with(|b| {
            let mut b = b.borrow_mut();
            match socket.try_recv(&mut b) {
                Ok(n) => {
                    let mut frame = Vec::with_capacity(2 + 21 + n);
                    codec::encode(0, conid, asked, &b[..n], &mut frame).map(|()| frame)
                }
                Err(_) => None,
            }
        });
        let Some(frame) = frame else { continue };
        activity.fetch_max(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        if replies.try_send(frame).is_ok() {
            user.udp.datagrams_down.fetch_add(1, Ordering::Relaxed);
        }
    }
}
