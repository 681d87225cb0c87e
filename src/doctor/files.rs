//! Doctor checks on files and the tools that read them: the sudoers rule (and `sudo -l` for
//! the panel user), sshd configs (`sshd -t`), the TLS certificate's expiry, the store, the
//! clock. Read-only.

use super::Check;
use super::probe::{Ran, one_line, run};
use crate::config::Config;
use crate::system::DEFAULT_HELPER_PATH;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Certificates that expire sooner than this are a problem now.
pub const CERT_MIN_VALIDITY: Duration = Duration::from_secs(14 * 24 * 3600);
/// A clock before this is certainly wrong (the binary is newer).
const CLOCK_FLOOR_UNIX: u64 = 1_735_689_600; // 2025-01-01

/// The panel account as root recorded it: the installer's answers file, in a directory only
/// root may write. config.json is the panel account's own file, so root never takes from it
/// an account to act as (or a program to run).
pub const INSTALLER_ANSWERS: &str = "/var/lib/wss-panel-installer/answers";

/// `panel_user` from [`INSTALLER_ANSWERS`], after checking that only root could have written
/// it and that it names an account that is not root.
pub fn installed_panel_user(path: &Path) -> Result<String, String> {
    use std::os::unix::fs::MetadataExt;
    let root_only = |p: &Path, want_dir: bool| match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() == want_dir && !m.is_symlink() && m.uid() == 0 && m.mode() & 0o022 == 0 => Ok(()),
        Ok(_) => Err(format!("{} is not root's alone (owner root, not group/other writable)", p.display())),
        Err(e) => Err(format!("no installer record at {}: {e}", p.display())),
    };
    root_only(path.parent().unwrap_or(Path::new("/")), true)?;
    root_only(path, false)?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let user = text
        .lines()
        .find_map(|l| l.strip_prefix("panel_user="))
        .ok_or_else(|| format!("{} has no panel_user", path.display()))?;
    if !crate::domain::is_valid_username_shape(user)
        || user == "root"
        || matches!(nix::unistd::User::from_name(user), Ok(Some(u)) if u.uid.is_root())
    {
        return Err(format!(
            "{} names panel_user {user:?}, which is not a plain non-root account",
            path.display()
        ));
    }
    Ok(user.to_owned())
}

/// Installed, `/etc/wss-panel` and config.json are root's alone (the panel reads them through
/// its group): root trusts config.json only then, and the panel can set ports only through
/// the helper's `set-ports`, which insists on it.
pub fn config_dir(config: &Config) -> Check {
    let dir = config.config_dir();
    let checked = crate::secure_files::check_root_only(&dir, true)
        .and_then(|()| crate::secure_files::check_root_only(&config.path, false));
    match checked {
        Ok(()) => Check::ok("config dir", format!("{} and config.json are root's alone", dir.display())),
        Err(e) => Check::problem(
            "config dir",
            e.to_string(),
            "re-run install.sh (it hands the directory to root; the panel's own files live in its data dir)",
        ),
    }
}

pub fn sudoers(config: &Config, file: &Path) -> Check {
    // The rule is compared with root's own record of the panel account when there is one.
    let user =
        installed_panel_user(Path::new(INSTALLER_ANSWERS)).unwrap_or_else(|_| config.panel_user.clone());
    let regenerate = format!(
        "wss-panel privileged --print-sudoers {user} > /tmp/99-wss-panel && visudo -c -f /tmp/99-wss-panel && install -m 0440 /tmp/99-wss-panel {f}",
        f = file.display()
    );
    let path = file.to_string_lossy();
    match run("visudo", &["-c", "-q", "-f", &path]) {
        Err(e) => Check::problem("sudoers", e, "apt-get install sudo"),
        Ok(r) if !r.ok => {
            Check::problem("sudoers", format!("visudo rejects {path}: {}", one_line(&r.output)), regenerate)
        }
        Ok(_) => {
            let expected = crate::system::sudoers::render(&user, DEFAULT_HELPER_PATH);
            match (std::fs::read_to_string(file), expected) {
                (Ok(text), Ok(rule)) if text == rule => whole_sudo_config(&path),
                _ => {
                    Check::problem("sudoers", format!("{path} is not the rule wss-panel prints"), regenerate)
                }
            }
        }
    }
}

/// One broken file under /etc/sudoers.d stops sudo for everyone, the panel included.
fn whole_sudo_config(path: &str) -> Check {
    match run("visudo", &["-c", "-q"]) {
        Ok(r) if r.ok => {
            Check::ok("sudoers", format!("{path} is valid, and so is sudo's whole configuration"))
        }
        Ok(r) => Check::problem(
            "sudoers",
            format!("visudo -c rejects sudo's configuration: {}", one_line(&r.output)),
            "run visudo -c and correct the file it names (sudo refuses to run while any file is broken)",
        ),
        Err(e) => Check::problem("sudoers", e, "apt-get install sudo"),
    }
}

/// The call the panel makes, made as the panel user: `sudo -n HELPER privileged is-active wss`.
/// Whatever the helper answers (without systemd it cannot), sudo letting it run is the point.
/// The account comes from root's installer record and the program is the fixed path: never
/// from config.json, which the panel account can rewrite.
pub fn sudo_helper() -> Check {
    let helper = DEFAULT_HELPER_PATH;
    if !nix::unistd::geteuid().is_root() {
        return Check::problem(
            "sudo helper",
            "not checked: doctor runs as a normal user",
            "sudo wss-panel doctor",
        );
    }
    let user = match installed_panel_user(Path::new(INSTALLER_ANSWERS)) {
        Ok(user) => user,
        Err(why) => {
            return Check::problem("sudo helper", format!("not checked: {why}"), "re-run install.sh");
        }
    };
    let user = user.as_str();
    let call = ["-u", user, "--", "sudo", "-n", helper, "privileged", "is-active", "wss"];
    let fix = "re-run install.sh (it writes the sudoers rule and records the panel user)";
    match run("runuser", &call) {
        Ok(r) if helper_answered(&r) => {
            Check::ok("sudo helper", format!("{user} reaches {helper} privileged through sudo -n"))
        }
        Ok(r) => Check::problem(
            "sudo helper",
            format!("{user} cannot run {helper} through sudo -n: {}", one_line(&r.output)),
            fix,
        ),
        Err(e) => Check::problem("sudo helper", e, "apt-get install sudo util-linux"),
    }
}

/// The helper ran: it exited 0, or it printed its own result line (it answers even where it
/// cannot reach systemd). sudo's and runuser's own refusals exit 1 without that line. Warnings
/// sudo prints while letting the helper run (`unable to resolve host ...`) do not matter.
fn helper_answered(r: &Ran) -> bool {
    r.ok || r.output.lines().any(|l| l.starts_with(HELPER_LINE))
}

/// How every line the helper prints about its operation starts (`helper::finish`).
const HELPER_LINE: &str = "wss-panel privileged: ";

pub fn sshd_config(name: &str, path: &Path, unit: &str) -> Check {
    if !path.exists() {
        return Check::problem(name, format!("{} is missing", path.display()), "re-run install.sh");
    }
    let _ = std::fs::create_dir_all("/run/sshd");
    match run("/usr/sbin/sshd", &["-t", "-f", &path.to_string_lossy()]) {
        Ok(r) if r.ok => Check::ok(name, format!("sshd -t accepts {}", path.display())),
        Ok(r) => Check::problem(
            name,
            format!("sshd -t rejects {}: {}", path.display(), one_line(&r.output)),
            format!(
                "correct {} until `sshd -t -f {}` passes, then systemctl restart {unit}",
                path.display(),
                path.display()
            ),
        ),
        Err(e) => Check::problem(name, e, "apt-get install openssh-server"),
    }
}

pub fn tls_cert(config: &Config) -> Check {
    let cert = config.tls_cert.to_string_lossy();
    let renew = "re-run install.sh with --cert/--key (or delete cert.pem and key.pem and re-run it for a \
                 new self-signed one); then systemctl restart wss stunnel@wss";
    if !config.tls_cert.exists() || !config.tls_key.exists() {
        return Check::problem(
            "tls cert",
            format!("{cert} or {} is missing", config.tls_key.display()),
            renew,
        );
    }
    let seconds = CERT_MIN_VALIDITY.as_secs().to_string();
    match run("openssl", &["x509", "-noout", "-checkend", &seconds, "-in", &cert]) {
        Ok(r) if r.ok => Check::ok("tls cert", format!("{cert} is valid for 14 days or more")),
        Ok(r) if r.output.contains("will expire") => {
            Check::problem("tls cert", format!("{cert} expires within 14 days (or has expired)"), renew)
        }
        Ok(r) => Check::problem("tls cert", format!("{cert} is unreadable: {}", one_line(&r.output)), renew),
        Err(e) => Check::problem("tls cert", e, "apt-get install openssl"),
    }
}

/// redb lets one process open a database: if the panel has it, that is the good case.
pub fn store(config: &Config) -> Check {
    let path = config.store_path();
    if !path.exists() {
        return Check::problem(
            "store",
            format!("{} does not exist", path.display()),
            "the panel creates it on its first start: systemctl restart wss_panel",
        );
    }
    match redb::ReadOnlyDatabase::open(&path) {
        Ok(_) => Check::ok("store", format!("{} opens", path.display())),
        Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
            Check::ok("store", format!("{} is open in the running panel", path.display()))
        }
        Err(e) => Check::problem(
            "store",
            format!("{}: {e}", path.display()),
            "stop the panel, copy the file aside, and restore the last good backup of it",
        ),
    }
}

/// Room left on the filesystem that holds the store: when it is full the panel saves
/// nothing (changes refused with 507, traffic held by the proxies until space returns).
pub fn store_disk(config: &Config) -> Check {
    let dir = &config.data_dir;
    match crate::store::health::space_under(dir) {
        Ok((total, available)) => judge_store_disk(dir, total, available),
        Err(e) => {
            Check::problem("store disk", format!("{}: {e}", dir.display()), "check that the data dir exists")
        }
    }
}

fn judge_store_disk(dir: &Path, total: u64, available: u64) -> Check {
    let mib = available / (1024 * 1024);
    if !crate::store::health::space_is_low(total, available) {
        Check::ok("store disk", format!("{mib} MiB free under {}", dir.display()))
    } else {
        Check::problem(
            "store disk",
            format!("only {mib} MiB free under {}: the store cannot save once it is full", dir.display()),
            format!(
                "free space (df -h {0}; sudo journalctl --vacuum-size=200M; old backups in {0}/backups)",
                dir.display()
            ),
        )
    }
}

pub fn clock() -> Check {
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    if now < CLOCK_FLOOR_UNIX {
        return Check::problem("clock", "the system clock is before 2025", "timedatectl set-ntp true");
    }
    // In a container (LXC and OpenVZ VPSes, systemd-nspawn) the clock is the host kernel's:
    // nothing inside can synchronize it, so "not synchronized" there is no problem to fix.
    if Path::new("/run/systemd/container").exists() {
        return Check::ok("clock", "sane (a container: the host keeps the time)");
    }
    if Path::new("/run/systemd/system").exists()
        && let Ok(r) = run("timedatectl", &["show", "-p", "NTPSynchronized", "--value"])
        && r.output == "no"
    {
        return Check::problem("clock", "not synchronized with NTP", "timedatectl set-ntp true");
    }
    Check::ok("clock", "sane")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_disk_is_a_problem_below_the_floor_with_the_fix() {
        let dir = Path::new("/var/lib/wss-panel");
        let mib = 1024 * 1024;
        assert!(judge_store_disk(dir, 20_000 * mib, 64 * mib).ok);
        let low = judge_store_disk(dir, 20_000 * mib, 64 * mib - 1);
        assert!(
            !low.ok && low.detail.contains("63 MiB") && low.fix.contains("df -h /var/lib/wss-panel"),
            "{low:?}"
        );
    }
}
