//! A real OpenSSH server on a loopback port, run as the current user with a throwaway host
//! key and a client key, so tests can log in through the tunnel without touching accounts.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// True if `tool` is installed. When CI says tools are required, a missing one fails.
pub fn have_tool(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
        || Path::new(tool).exists();
    if !found {
        assert!(!super::tools_required(), "{tool} is required (WSS_REQUIRE_TOOLS=1)");
        eprintln!("note: {tool} not installed; skipping this check");
    }
    found
}

/// A port for a server that cannot be handed a listener (sshd, stunnel). Chosen below the
/// kernel's ephemeral range (32768+), so the many short outgoing connections of parallel
/// tests cannot take it between this check and the server's bind.
pub fn free_port() -> u16 {
    let mut seed = [0u8; 2];
    getrandom::fill(&mut seed).unwrap();
    let start = u16::from_le_bytes(seed) % 12_000;
    (0..12_000u16)
        .map(|i| 20_000 + (start + i) % 12_000)
        .find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
        .expect("a free port between 20000 and 32000")
}

/// A throwaway ed25519 key at `path` (and `path.pub`).
pub fn keygen(path: &Path) {
    let ok =
        Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(path).status().unwrap();
    assert!(ok.success(), "ssh-keygen failed");
}

/// Starts `/usr/sbin/sshd -D` on a free loopback port with a fresh host key in `dir` and the
/// given extra settings; answers once it accepts connections.
pub fn spawn_sshd(dir: &Path, settings: &str) -> (Child, u16) {
    let _ = std::fs::create_dir_all("/run/sshd");
    keygen(&dir.join("host_key"));
    let port = free_port();
    let config = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nKbdInteractiveAuthentication no\n\
         UsePAM no\nPidFile {d}/sshd.pid\nAllowTcpForwarding yes\n{settings}",
        d = dir.display()
    );
    std::fs::write(dir.join("sshd_config"), config).unwrap();
    let child = Command::new("/usr/sbin/sshd")
        .args(["-D", "-e", "-f"])
        .arg(dir.join("sshd_config"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let up =
        crate::helpers::wait_for(Duration::from_secs(10), || TcpStream::connect(("127.0.0.1", port)).ok());
    assert!(up.is_some(), "sshd did not start on {port}");
    (child, port)
}

pub struct Sshd {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
    pub user: String,
}

impl Sshd {
    /// `None` when sshd is not installed (and not required).
    pub fn start(dir: &Path) -> Option<Sshd> {
        if !have_tool("/usr/sbin/sshd") || !have_tool("ssh-keygen") {
            return None;
        }
        keygen(&dir.join("client_key"));
        std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
        let settings = format!(
            "AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nPasswordAuthentication no\n\
             PermitRootLogin prohibit-password\n",
            d = dir.display()
        );
        let (child, port) = spawn_sshd(dir, &settings);
        let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_owned();
        Some(Sshd { child, port, dir: dir.to_owned(), user })
    }

    /// Runs `command` over ssh with `proxy_command` as the ProxyCommand.
    pub fn ssh(&self, proxy_command: &str, command: &str) -> std::process::Output {
        Command::new("ssh")
            .args(["-F", "/dev/null", "-i"])
            .arg(self.dir.join("client_key"))
            .args([
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "LogLevel=ERROR",
                "-o",
                "ConnectTimeout=20",
            ])
            .arg("-o")
            .arg(format!("ProxyCommand={proxy_command}"))
            .arg(format!("{}@tunnel", self.user))
            .arg(command)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
