//! Root writing into the panel account's directory (`/etc/wss-panel`): the installer's steps
//! (`install-helper write-config`, `gen-cert`, `use-cert`, `hash-password`) and
//! `wss-panel admin-password`, run as root in the sandbox against symbolic links the panel
//! account planted there. The link targets in /etc must stay byte-identical (or absent); a
//! link at the target name itself is refused with a clear message; a link at a temporary
//! name of earlier releases (`config.json.new`, `admin_password.tmp`) is simply never used.

use super::sandbox::{self, BIN, run};
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const DIR: &str = "/etc/wss-panel";
/// The panel's data dir, where the admin password hash lives.
const DATA: &str = "/var/lib/wss-panel";
const VICTIM: &str = "/etc/victim-file";
const ABSENT: &str = "/etc/victim-new";
const VICTIM_TEXT: &str = "root:x:0:0 must stay\n";

#[test]
fn root_never_follows_links_planted_in_the_panel_directory() {
    sandbox::scenario_test(
        module_path!(),
        "root_never_follows_links_planted_in_the_panel_directory",
        false,
        &["unshare", "mount", "useradd"],
        inside_planted_links,
    );
}

fn wss(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn write_config() -> Output {
    let out = format!("{DIR}/config.json");
    wss(
        &[
            "install-helper",
            "write-config",
            "--out",
            &out,
            "--panel-user",
            "tunadmin",
            "--panel-port",
            "54321",
            "--wss-http-port",
            "80",
            "--wss-tls-port",
            "443",
            "--stunnel-port",
            "444",
            "--internal-forward-port",
            "22",
            "--data-dir",
            "/var/lib/wss-panel",
            "--panel-local-port",
            "54320",
        ],
        "",
    )
}

fn plant(name: &str, target: &str) {
    plant_in(DIR, name, target);
}

fn plant_in(dir: &str, name: &str, target: &str) {
    let _ = std::fs::remove_file(Path::new(dir).join(name));
    symlink(target, Path::new(dir).join(name)).unwrap();
}

fn unplant(name: &str) {
    unplant_in(DIR, name);
}

fn unplant_in(dir: &str, name: &str) {
    std::fs::remove_file(Path::new(dir).join(name)).unwrap();
}

/// Refused (non-zero), saying the link is not followed; the victims are untouched.
fn assert_refused(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("symbolic link"), "{what}: {stderr}");
    assert_victims_untouched(what);
}

fn assert_victims_untouched(what: &str) {
    assert_eq!(std::fs::read_to_string(VICTIM).unwrap(), VICTIM_TEXT, "{what} wrote through a link");
    assert!(!Path::new(ABSENT).exists(), "{what} created a file through a link");
}

/// Root wrote it, and the panel account owns it (so the panel can read it), mode 0600.
fn assert_panel_file(name: &str, uid: u32) {
    assert_panel_file_in(DIR, name, uid);
}

fn assert_panel_file_in(dir: &str, name: &str, uid: u32) {
    let meta = std::fs::symlink_metadata(Path::new(dir).join(name)).unwrap();
    assert!(meta.is_file(), "{name} is not a regular file");
    assert_eq!((meta.uid(), meta.mode() & 0o777), (uid, 0o600), "{name}");
}

fn inside_planted_links() {
    sandbox::enter();
    run("useradd", &["--system", "-M", "-s", "/usr/sbin/nologin", "tunadmin"]);
    let uid = sandbox::passwd_entry("tunadmin").unwrap()[2].parse::<u32>().unwrap();
    std::fs::create_dir(DIR).unwrap();
    std::os::unix::fs::chown(DIR, Some(uid), Some(uid)).unwrap();
    std::fs::set_permissions(DIR, std::fs::Permissions::from_mode(0o700)).unwrap();
    for dir in ["/var/lib", DATA] {
        let _ = std::fs::create_dir(dir);
    }
    std::os::unix::fs::chown(DATA, Some(uid), Some(uid)).unwrap();
    std::fs::set_permissions(DATA, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(VICTIM, VICTIM_TEXT).unwrap();

    // write-config: the old temporary name is ignored; a link at config.json is refused.
    plant("config.json.new", VICTIM);
    let out = write_config();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_victims_untouched("write-config");
    assert_panel_file("config.json", uid);
    plant("config.json", VICTIM);
    assert_refused(&write_config(), "write-config over a link");
    unplant("config.json");
    unplant("config.json.new");
    assert!(write_config().status.success());

    // gen-cert / use-cert: a planted key.pem or cert.pem.
    plant("key.pem", VICTIM);
    assert_refused(&wss(&["install-helper", "gen-cert", "--dir", DIR, "--san", "localhost"], ""), "gen-cert");
    plant("key.pem", ABSENT);
    assert_refused(&wss(&["install-helper", "gen-cert", "--dir", DIR, "--san", "localhost"], ""), "gen-cert");
    unplant("key.pem");
    let out = wss(&["install-helper", "gen-cert", "--dir", DIR, "--san", "localhost"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_panel_file("key.pem", uid);
    let (cert, key) = (format!("{DIR}/cert.pem"), format!("{DIR}/key.pem"));
    let copy_dir = tempfile::tempdir().unwrap();
    let (ext_cert, ext_key) = (copy_dir.path().join("c.pem"), copy_dir.path().join("k.pem"));
    std::fs::copy(&cert, &ext_cert).unwrap();
    std::fs::copy(&key, &ext_key).unwrap();
    plant("cert.pem", VICTIM);
    let use_cert = [
        "install-helper",
        "use-cert",
        "--dir",
        DIR,
        "--cert",
        ext_cert.to_str().unwrap(),
        "--key",
        ext_key.to_str().unwrap(),
    ];
    assert_refused(&wss(&use_cert, ""), "use-cert");
    unplant("cert.pem");
    assert!(wss(&use_cert, "").status.success());
    assert_panel_file("cert.pem", uid);

    // hash-password: a link to a file that does not exist yet must not create it.
    let pw = copy_dir.path().join("pw");
    std::fs::write(&pw, "Admin-Pass-123\n").unwrap();
    let hash = ["install-helper", "hash-password", "--password-file", pw.to_str().unwrap(), "--out"];
    let out_path = format!("{DATA}/admin_password.hash");
    plant_in(DATA, "admin_password.hash", ABSENT);
    assert_refused(&wss(&[&hash[..], &[out_path.as_str()]].concat(), ""), "hash-password");
    unplant_in(DATA, "admin_password.hash");

    // `wss-panel admin-password` as root: the old temporary name, then the hash file itself.
    let config = format!("{DIR}/config.json");
    plant_in(DATA, "admin_password.tmp", VICTIM);
    let out = wss(&["--config", &config, "admin-password"], "Root-Set-Pass-1\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_victims_untouched("admin-password");
    assert_panel_file_in(DATA, "admin_password.hash", uid);
    plant_in(DATA, "admin_password.hash", VICTIM);
    assert_refused(&wss(&["--config", &config, "admin-password"], "Root-Set-Pass-2\n"), "admin-password");
}
