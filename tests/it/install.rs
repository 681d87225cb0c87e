//! `install/install.sh` and `install/uninstall.sh` for real, staged under a temp root with
//! `--root` (a copy of the host's account files inside; nothing on the host changes), and the
//! files they generate checked by the tools that will read them: visudo, sshd, systemd-analyze,
//! stunnel. `shell_plane` runs the generated sshd and stunnel configs as the units run them.

pub mod doctor;
mod doctor_hostile;
mod firewall;
mod node;
mod original;
mod panel_tls;
mod shell_plane;
mod staging;
mod units;

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_wss-panel");
pub const ADMIN_PASSWORD: &str = "Admin-Pass-123";
pub const TOOLS: &[&str] =
    &["visudo", "sshd", "systemd-analyze", "stunnel4", "useradd", "groupadd", "userdel", "openssl", "ss"];

pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("install").join(name)
}

/// A staging root with what a Debian host has before the install: account files, the
/// admin's sshd_config with its drop-in directory.
pub struct Stage {
    pub dir: tempfile::TempDir,
    pub password_file: PathBuf,
}

impl Stage {
    pub fn new() -> Stage {
        let dir = tempfile::Builder::new().prefix("wss-stage").tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("etc/ssh/sshd_config.d")).unwrap();
        for f in ["passwd", "group", "shadow", "gshadow", "login.defs"] {
            copy_preserving(&Path::new("/etc").join(f), &root.join("etc").join(f));
        }
        std::fs::write(
            root.join("etc/ssh/sshd_config"),
            "Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\n\
             PasswordAuthentication no\nSubsystem sftp /usr/lib/openssh/sftp-server\n",
        )
        .unwrap();
        let password_file = dir.path().join("admin-password");
        std::fs::write(&password_file, format!("{ADMIN_PASSWORD}\n")).unwrap();
        Stage { dir, password_file }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    pub fn path(&self, absolute: &str) -> PathBuf {
        self.root().join(absolute.trim_start_matches('/'))
    }

    /// `install.sh --yes --root ROOT --binary BIN --admin-password-file F ARGS...`
    pub fn install(&self, binary: &Path, args: &[&str]) -> Output {
        Command::new(script("install.sh"))
            .args(["--yes", "--root"])
            .arg(self.root())
            .arg("--binary")
            .arg(binary)
            .arg("--admin-password-file")
            .arg(&self.password_file)
            .args(["--san", "localhost", "--san", "127.0.0.1"])
            .args(args)
            .output()
            .unwrap()
    }

    pub fn install_ok(&self, binary: &Path) {
        let out = self.install(binary, &[]);
        assert!(out.status.success(), "install.sh failed:\n{}", text(&out));
    }

    pub fn uninstall(&self, args: &[&str]) -> Output {
        Command::new(script("uninstall.sh")).arg("--root").arg(self.root()).args(args).output().unwrap()
    }
}

pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn copy_preserving(from: &Path, to: &Path) {
    let ok = Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap().success();
    assert!(ok, "cp -a {from:?}");
}

/// Every path under `root` with its type, mode, owner and contents (symlink target for links).
pub fn tree(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let rel = path.strip_prefix(root).unwrap().display().to_string();
        let head = format!("{:o} {}:{}", meta.mode(), meta.uid(), meta.gid());
        if meta.is_dir() {
            out.insert(rel, head);
            walk(root, &path, out);
        } else if meta.file_type().is_symlink() {
            out.insert(rel, format!("{head} -> {:?}", std::fs::read_link(&path).unwrap()));
        } else {
            let digest = sha256_hex(&std::fs::read(&path).unwrap());
            out.insert(rel, format!("{head} {digest}"));
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Keys whose entries differ between two trees.
pub fn changed(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter().filter(|k| a.get(*k) != b.get(*k)).cloned().collect()
}

/// The shadow tools keep the previous account file as `passwd-` (etc.): that copy is theirs.
pub fn is_shadow_backup(path: &str) -> bool {
    ["etc/passwd-", "etc/group-", "etc/shadow-", "etc/gshadow-"].contains(&path)
}
