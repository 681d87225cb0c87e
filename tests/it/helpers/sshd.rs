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
        assert!(std::env::var_os("WSS_REQUIRE_TOOLS").is_none(), "{tool} is required (WSS_REQUIRE_TOOLS=1)");
        eprintln!("note: {tool} not installed; skipping this check");
    }
    found
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
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
        let _ = std::fs::create_dir_all("/run/sshd");
        for key in ["host_key", "client_key"] {
            let path = dir.join(key);
            let ok = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(&path)
                .status()
                .unwrap()
                .success();
            assert!(ok, "ssh-keygen failed");
        }
        std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
        let port = free_port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n\
             StrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
             PermitRootLogin prohibit-password\nPidFile {d}/sshd.pid\nAllowTcpForwarding yes\n",
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
        let up = crate::helpers::wait_for(Duration::from_secs(10), || {
            TcpStream::connect(("127.0.0.1", port)).ok()
        });
        assert!(up.is_some(), "sshd did not start on {port}");
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
