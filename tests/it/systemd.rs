//! The installer and the services under a real systemd as PID 1 (issue 16): a cached Debian 12
//! root booted with `systemd-nspawn --private-network`, `install.sh --yes` inside, then the
//! services, the CLI, tunnels, a restart, a reboot, `uninstall.sh` in both modes, then a proxy
//! node (`install.sh --node`, its agent making the panel's accounts) and its purge. The
//! checks live in `tests/systemd/booted.sh` (one line per check, "defect N" for each of the
//! issue's defects); this test runs it with the built binary, bounded in time. The script
//! powers the container off and deletes its copy on every exit, a failed check included.

use crate::helpers::BIN;
use crate::helpers::sshd::have_tool;
use std::process::Command;
use std::time::Instant;

/// The checks on a cached root, a proxy node included (~160 s here, ~210 s beside other tests).
const TIME_LIMIT_SECS: &str = "480";
/// Building the cached root once: debootstrap takes ~100-150 s on an idle machine and was
/// measured at 510 s on this shared 2-core one while others built; bounded apart from the checks.
const ROOT_BUILD_LIMIT_SECS: &str = "900";

#[test]
fn systemd_booted_install_services_reboot_and_uninstall() {
    if !nix::unistd::geteuid().is_root() {
        assert!(!crate::helpers::tools_required(), "the booted test needs root");
        return;
    }
    if !["systemd-nspawn", "debootstrap", "nsenter"].into_iter().all(have_tool) {
        return;
    }
    let repo = env!("CARGO_MANIFEST_DIR");
    let started = Instant::now();
    let root = Command::new("timeout")
        .args([ROOT_BUILD_LIMIT_SECS, "bash"])
        .arg(format!("{repo}/tests/systemd/root.sh"))
        .status()
        .expect("run tests/systemd/root.sh");
    assert!(root.success(), "building the Debian 12 root failed ({root})");
    eprintln!("cached root ready after {:.0} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    // SIGTERM at the limit runs the script's trap, which stops the container; SIGKILL 30 s later.
    let pidfile = tempfile::NamedTempFile::new().unwrap();
    let status = Command::new("timeout")
        .args(["-k", "30", TIME_LIMIT_SECS, "bash"])
        .arg(format!("{repo}/tests/systemd/booted.sh"))
        .args([BIN, repo])
        .env("WSS_BOOTED_PIDFILE", pidfile.path())
        .status()
        .expect("run tests/systemd/booted.sh");
    stop_leftover_container(pidfile.path());
    eprintln!("booted checks: {:.0} s", started.elapsed().as_secs_f64());
    assert!(status.success(), "tests/systemd/booted.sh failed ({status}); its output says which check");
}

/// The script's trap stops the container; if the script was killed before it could (SIGKILL
/// after the time limit), the last systemd-nspawn it started is stopped here, by its pid.
fn stop_leftover_container(pidfile: &std::path::Path) {
    let Some(pid) = std::fs::read_to_string(pidfile).ok().and_then(|p| p.trim().parse::<u32>().ok()) else {
        return;
    };
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if comm.trim() == "systemd-nspawn" {
        eprintln!("stopping the leftover container (systemd-nspawn pid {pid})");
        let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    }
}
