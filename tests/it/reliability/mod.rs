//! Hostile and broken traffic against the running proxy and panel (issue 15): replayed
//! malformed handshakes, slowloris, file descriptors running out. Real processes on
//! 127.0.0.1; every loop is bounded in count and time. CI runs reduced sizes;
//! `WSS_FULL_SIZE=1` runs the sizes `RELIABILITY.md` reports.

mod disk_full;
mod fds;
mod kill_loop;
mod panel_outage;
mod proxy_kill;
mod replay;
mod slowloris;

use crate::helpers::net::EchoServer;
use crate::helpers::{BIN, Panel, PanelDir, ProxyProcess};
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// The tunnel user every rig has.
pub const USER: &str = "tun";
pub const PASSWORD: &str = "pw-tun-1";

/// `full` with `WSS_FULL_SIZE=1`, else `ci`.
pub fn size(ci: usize, full: usize) -> usize {
    if std::env::var("WSS_FULL_SIZE").as_deref() == Ok("1") { full } else { ci }
}

/// Panel + proxy + echo upstream, the proxy's stderr kept in a file so that a panic in any
/// of its tasks (printed there, the process lives on) is seen.
pub struct Rig {
    _echo: EchoServer,
    pub dir: PanelDir,
    _panel: Panel,
    pub proxy: ProxyProcess,
    stderr: PathBuf,
}

impl Rig {
    /// `config` is merged into the test config; `wrapper` runs the proxy under another
    /// command (e.g. `prlimit --nofile=256:256`).
    pub fn start(config: serde_json::Value, wrapper: &[&str]) -> Rig {
        let echo = EchoServer::start();
        let mut config = config;
        config["internal_forward_port"] = json!(echo.addr.port());
        let dir = PanelDir::new(config);
        let panel = dir.start();
        assert_eq!(panel.create_user(USER, PASSWORD, json!({})).status, 201);
        let stderr = dir.dir.path().join("proxy.stderr");
        let mut command = match wrapper.split_first() {
            None => Command::new(BIN),
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(BIN);
                c
            }
        };
        command.arg("proxy").stderr(std::fs::File::create(&stderr).unwrap());
        let proxy = dir.start_proxy_command(command);
        Rig { _echo: echo, dir, _panel: panel, proxy, stderr }
    }

    /// Fails the test if the proxy died or printed a panic.
    pub fn assert_no_panic(&mut self) {
        assert!(self.proxy.child.try_wait().unwrap().is_none(), "the proxy exited");
        let text = std::fs::read_to_string(&self.stderr).unwrap();
        assert!(!text.contains("panicked"), "the proxy panicked:\n{text}");
    }

    pub fn proxy_pid(&self) -> u32 {
        self.proxy.child.id()
    }
}

/// Resident set size of a process, in bytes.
pub fn rss_bytes(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib = text.lines().find_map(|l| l.strip_prefix("VmRSS:")).unwrap();
    kib.trim().trim_end_matches(" kB").trim().parse::<u64>().unwrap() * 1024
}

/// CPU time (user + system) a process has used so far, from `/proc/PID/stat`.
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name may hold spaces; the fields after its closing parenthesis do not.
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let out = Command::new("getconf").arg("CLK_TCK").output().unwrap();
    let hz: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    Duration::from_micros(ticks * 1_000_000 / hz)
}

/// File descriptors a process has open now.
pub fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0)
}

/// Lets this test process hold thousands of sockets.
pub fn raise_nofile_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
}

/// A client socket from source address `src` (any 127/8 address is this host), so that
/// many clients do not share one address's pre-auth cap and auth throttle.
pub fn connect_from(src: [u8; 4], to: std::net::SocketAddr) -> std::io::Result<std::net::TcpStream> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.bind(&std::net::SocketAddr::from((src, 0)).into())?;
    socket.connect(&to.into())?;
    let stream = std::net::TcpStream::from(socket);
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// The p-th percentile (0..=100) of `samples`, which it sorts.
pub fn percentile(samples: &mut [Duration], p: usize) -> Duration {
    samples.sort();
    let i = (samples.len() * p).div_ceil(100).saturating_sub(1);
    samples[i.min(samples.len() - 1)]
}
