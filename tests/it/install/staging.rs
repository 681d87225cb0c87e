//! A staged install: every generated file passes its own tool's check, a second run changes
//! only the binary, bad answers change nothing, and uninstall.sh puts the root back.

use super::{BIN, Stage, TOOLS, changed, is_shadow_backup, text, tree};
use crate::privileged::sandbox::ready;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

fn checked(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(out.status.success(), "{program} {args:?}:\n{}", text(&out));
    text(&out)
}

fn read(stage: &Stage, path: &str) -> String {
    std::fs::read_to_string(stage.path(path)).unwrap()
}

fn mode(stage: &Stage, path: &str) -> u32 {
    std::fs::metadata(stage.path(path)).unwrap().mode() & 0o7777
}

#[test]
fn a_staged_install_passes_visudo_sshd_systemd_analyze_and_stunnel() {
    if !ready(TOOLS) {
        return;
    }
    let host_ssh = host_ssh_dir();
    let stage = Stage::new();
    stage.install_ok(Path::new(BIN));

    let sudoers = stage.path("/etc/sudoers.d/99-wss-panel");
    checked("visudo", &["-c", "-f", sudoers.to_str().unwrap()]);
    let rule = checked(BIN, &["privileged", "--print-sudoers", "wss-panel"]);
    assert_eq!(read(&stage, "/etc/sudoers.d/99-wss-panel"), rule.trim_end().to_owned() + "\n");
    assert_eq!(mode(&stage, "/etc/sudoers.d/99-wss-panel"), 0o440);

    let key = host_key(&stage);
    let sshd_config = stage.path("/etc/ssh/sshd_config_stunnel");
    checked("/usr/sbin/sshd", &["-t", "-f", sshd_config.to_str().unwrap(), "-h", &key]);
    let effective = checked(
        "/usr/sbin/sshd",
        &["-T", "-f", sshd_config.to_str().unwrap(), "-h", &key, "-C", "user=u,host=h,addr=127.0.0.1"],
    );
    for line in
        ["port 2222", "listenaddress 127.0.0.1:2222", "allowgroups shell_users", "passwordauthentication yes"]
    {
        assert!(effective.lines().any(|l| l == line), "sshd_config_stunnel lacks `{line}`:\n{effective}");
    }
    main_sshd_dropin_is_valid_and_loopback_only(&stage, &key);

    verify_units(&stage);
    stunnel_starts(&stage);

    // Accounts: the panel user has its own group (the original's `adduser --system` left it
    // in nogroup and chown admin:admin aborted), no login shell; shell_users exists.
    let passwd = read(&stage, "/etc/passwd");
    let group = read(&stage, "/etc/group");
    let admin: Vec<&str> = passwd.lines().find(|l| l.starts_with("wss-panel:")).unwrap().split(':').collect();
    let admin_group = group.lines().find(|l| l.starts_with("wss-panel:")).expect("group wss-panel");
    // issue 16, defect 7: no account or group named `admin` (sudo rights in Ubuntu's sudoers).
    assert!(!passwd.lines().chain(group.lines()).any(|l| l.starts_with("admin:")));
    assert_eq!(admin_group.split(':').nth(2), Some(admin[3]));
    assert_eq!(admin[6], "/usr/sbin/nologin");
    assert!(group.lines().any(|l| l.starts_with("shell_users:")));
    assert!(passwd.lines().any(|l| l.starts_with("wss:")));

    // Files and secrets.
    // issue 9: /etc/wss-panel is root's (the panel reads it through its group); what the
    // panel writes lives in its data dir.
    let owner = |p: &str| {
        let m = std::fs::metadata(stage.path(p)).unwrap();
        (m.uid().to_string(), m.gid().to_string(), m.mode() & 0o7777)
    };
    let (root, panel) = ("0".to_string(), admin[2].to_string());
    let panel_gid = admin[3].to_string();
    assert_eq!(owner("/etc/wss-panel"), (root.clone(), panel_gid.clone(), 0o750));
    for file in ["config.json", "key.pem", "cert.pem"] {
        assert_eq!(
            owner(&format!("/etc/wss-panel/{file}")),
            (root.clone(), panel_gid.clone(), 0o640),
            "{file}"
        );
    }
    assert_eq!(owner("/var/lib/wss-panel"), (panel.clone(), panel_gid.clone(), 0o700));
    assert_eq!(owner("/var/lib/wss-panel/admin_password.hash"), (panel, panel_gid, 0o600));
    assert!(!stage.path("/etc/wss-panel/admin_password.hash").exists());
    let config = wss_panel::config::Config::load(&stage.path("/etc/wss-panel/config.json")).unwrap();
    assert_eq!((config.panel_port, config.wss_http_port, config.stunnel_port), (54321, 80, 444));
    let hash = read(&stage, "/var/lib/wss-panel/admin_password.hash");
    assert!(bcrypt::verify(super::ADMIN_PASSWORD, &hash).unwrap());
    let cert = stage.path("/etc/wss-panel/cert.pem");
    let san =
        checked("openssl", &["x509", "-noout", "-ext", "subjectAltName", "-in", cert.to_str().unwrap()]);
    assert!(san.contains("DNS:localhost") && san.contains("IP Address:127.0.0.1"), "{san}");
    assert_eq!(host_ssh_dir(), host_ssh, "the host's /etc/ssh changed");
}

/// The host's `/etc/ssh` as names and contents (absent: empty).
fn host_ssh_dir() -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<_> = std::fs::read_dir("/etc/ssh")
        .into_iter()
        .flatten()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    all.sort();
    all
}

/// `sshd -t` on the admin's config with the staged drop-in, and the effective settings: password
/// logins from loopback only, and for the tunnel group only (which exists in the staged root, not
/// here: `tunnel_customer::logins` proves the group's logins with a real sshd).
fn main_sshd_dropin_is_valid_and_loopback_only(stage: &Stage, key: &str) {
    let main = read(stage, "/etc/ssh/sshd_config")
        .replace("/etc/ssh/sshd_config.d", stage.path("/etc/ssh/sshd_config.d").to_str().unwrap());
    let copy = stage.dir.path().join("sshd_config_main");
    std::fs::write(&copy, main).unwrap();
    let copy = copy.to_str().unwrap();
    checked("/usr/sbin/sshd", &["-t", "-f", copy, "-h", key]);
    let effective = |addr: &str| {
        checked(
            "/usr/sbin/sshd",
            &["-T", "-f", copy, "-h", key, "-C", &format!("user=root,host=h,addr={addr}")],
        )
    };
    let dropin = read(stage, "/etc/ssh/sshd_config.d/50-wss-panel.conf");
    assert!(dropin.contains("\nMatch Group wss_tunnel Address 127.0.0.1,::1\n"), "{dropin}");
    assert!(effective("127.0.0.1").lines().any(|l| l == "passwordauthentication no"), "root from loopback");
    assert!(effective("203.0.113.9").lines().any(|l| l == "passwordauthentication no"));
}

/// A throwaway host key for `sshd -t`/`-T` (`-h`), so that the host's `/etc/ssh` is neither
/// needed nor written. sshd insists on its privilege-separation directory even to check a
/// config: `/run/sshd`, an empty directory on a tmpfs that sshd's own package creates.
fn host_key(stage: &Stage) -> String {
    let key = stage.dir.path().join("ssh_host_ed25519_key");
    let path = key.to_str().unwrap();
    checked("ssh-keygen", &["-q", "-t", "ed25519", "-N", "", "-C", "wss-test", "-f", path]);
    let _ = std::fs::create_dir_all("/run/sshd");
    path.to_owned()
}

/// `systemd-analyze verify` on copies whose ExecStart points at the built binary (the staged
/// units name /usr/local/bin/wss-panel, which need not exist here). Any output fails.
fn verify_units(stage: &Stage) {
    let dir = stage.dir.path().join("verify");
    std::fs::create_dir(&dir).unwrap();
    let units = ["wss_panel.service", "wss.service", "sshd_stunnel.service"];
    for unit in units {
        let body =
            read(stage, &format!("/etc/systemd/system/{unit}")).replace("/usr/local/bin/wss-panel", BIN);
        std::fs::write(dir.join(unit), body).unwrap();
    }
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(units.map(|u| format!("./{u}")))
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(out.status.success() && text(&out).trim().is_empty(), "systemd-analyze verify:\n{}", text(&out));
    // The data plane is sandboxed tightly (the original's units all rated 9.2-9.6, "UNSAFE").
    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--threshold=25", "./wss.service"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(security.status.success(), "wss.service exposure above 2.5:\n{}", text(&security));
    let wss = read(stage, "/etc/systemd/system/wss.service");
    for must in ["AmbientCapabilities=CAP_NET_BIND_SERVICE", "LimitNOFILE=", "User=wss"] {
        assert!(wss.contains(must), "wss.service lacks {must}");
    }
    assert!(
        !wss.contains("BindsTo") && !wss.contains("Requires"),
        "wss.service must not depend on the panel"
    );
    // sudo needs setuid: nothing that makes systemd set no_new_privs for a User= service.
    let panel = read(stage, "/etc/systemd/system/wss_panel.service");
    assert!(panel.contains("User=wss-panel"));
    let implies_nnp = [
        "NoNewPrivileges=yes",
        "SystemCallFilter",
        "SystemCallArchitectures",
        "RestrictAddressFamilies",
        "RestrictNamespaces",
        "RestrictRealtime",
        "RestrictSUIDSGID",
        "MemoryDenyWriteExecute",
        "LockPersonality",
        "PrivateDevices",
        "ProtectKernel",
        "ProtectClock",
        "ProtectHostname",
    ];
    for key in implies_nnp {
        assert!(!panel.lines().any(|l| l.starts_with(key)), "wss_panel.service sets {key}: sudo would fail");
    }
}

/// The generated stunnel config started the way stunnel@wss.service starts it, on a free
/// port: it must reach "Configuration successful" and keep running.
fn stunnel_starts(stage: &Stage) {
    let port = crate::helpers::sshd::free_port();
    let conf = read(stage, "/etc/stunnel/wss.conf")
        .replace("accept = :::444", &format!("accept = 127.0.0.1:{port}"))
        .replace("/etc/wss-panel/", &format!("{}/", stage.path("/etc/wss-panel").display()));
    let path = stage.dir.path().join("stunnel-check.conf");
    std::fs::write(&path, conf).unwrap();
    let out = Command::new("timeout").args(["3", "stunnel4"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(124), "stunnel exited early:\n{}", text(&out));
    assert!(text(&out).contains("Configuration successful"), "{}", text(&out));
}

#[test]
fn a_second_run_changes_nothing_but_the_binary() {
    if !ready(TOOLS) {
        return;
    }
    let stage = Stage::new();
    stage.install_ok(Path::new(BIN));
    let before = tree(&stage.root());
    stage.install_ok(Path::new(BIN));
    assert_eq!(changed(&before, &tree(&stage.root())), Vec::<String>::new());

    let newer = stage.dir.path().join("wss-panel-newer");
    let mut bytes = std::fs::read(BIN).unwrap();
    bytes.extend_from_slice(b"\0a newer build");
    std::fs::write(&newer, bytes).unwrap();
    std::fs::set_permissions(&newer, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    stage.install_ok(&newer);
    assert_eq!(changed(&before, &tree(&stage.root())), ["usr/local/bin/wss-panel"]);
}

#[test]
fn bad_answers_are_refused_before_anything_changes() {
    if !ready(TOOLS) {
        return;
    }
    let stage = Stage::new();
    let before = tree(&stage.root());
    let cases: &[(&[&str], &str)] = &[
        (&["--panel-port", "70000"], "not a port"),
        (&["--wss-http-port", "8080", "--panel-port", "8080"], "each port must be different"),
        (&["--stunnel-port", "abc"], "not a port"),
        (&["--panel-user", "Bad User"], "not a valid account name"),
        (&["--panel-user", "root"], "must not be root"),
        (&["--panel-user", "wss"], "must be different"),
        (&["--bogus"], "unknown option"),
        (&["--cert", "/nonexistent"], "--cert and --key"),
    ];
    for (args, expected) in cases {
        let out = stage.install(Path::new(BIN), args);
        assert!(!out.status.success() && text(&out).contains(expected), "{args:?}:\n{}", text(&out));
        assert_eq!(changed(&before, &tree(&stage.root())), Vec::<String>::new(), "{args:?} changed files");
    }
    // A port someone else holds (here: this test) is refused when ports are checked.
    let squatter = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = squatter.local_addr().unwrap().port().to_string();
    let out = stage.install(Path::new(BIN), &["--check-ports", "--panel-port", &port]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&format!("panel_port {port} is already in use by")), "{}", text(&out));
    assert_eq!(changed(&before, &tree(&stage.root())), Vec::<String>::new());
    std::fs::write(&stage.password_file, "short\n").unwrap();
    let out = stage.install(Path::new(BIN), &[]);
    assert!(text(&out).contains("at least 8 characters"), "{}", text(&out));
    assert_eq!(changed(&before, &tree(&stage.root())), Vec::<String>::new());
}

#[test]
fn uninstall_restores_the_staging_root_except_the_kept_data() {
    if !ready(TOOLS) {
        return;
    }
    let stage = Stage::new();
    // A file of the same name that was there first is backed up and put back.
    std::fs::create_dir_all(stage.path("/etc/stunnel")).unwrap();
    std::fs::write(stage.path("/etc/stunnel/wss.conf"), "; the admin's own\n").unwrap();
    let before = tree(&stage.root());
    stage.install_ok(Path::new(BIN));
    let out = stage.uninstall(&["--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    // The kept data trees, and the directories that hold them (their entries changed).
    let kept = ["etc/wss-panel", "var/lib/wss-panel", "var/lib/wss-panel-installer"];
    let parents = ["var", "var/lib"];
    let after = tree(&stage.root());
    for path in changed(&before, &after) {
        let data = parents.contains(&path.as_str())
            || kept.iter().any(|k| path == *k || path.starts_with(&format!("{k}/")));
        assert!(data || is_shadow_backup(&path), "{path} differs after uninstall without --purge");
    }
    assert!(stage.path("/etc/wss-panel/config.json").exists() && stage.path("/var/lib/wss-panel").is_dir());
    let manifest = read(&stage, "/var/lib/wss-panel-installer/manifest");
    assert!(manifest.lines().all(|l| l.starts_with("data ") || l.starts_with("dir ")), "{manifest}");
    // issue 16, defect 5: the panel account is gone, so kept secrets are root's alone.
    for (rel, meta) in owners_under(&stage, &["/etc/wss-panel", "/var/lib/wss-panel"]) {
        assert_eq!(meta.uid(), 0, "{rel} keeps the deleted panel account's uid");
    }
    assert_eq!((mode(&stage, "/etc/wss-panel"), mode(&stage, "/var/lib/wss-panel")), (0o700, 0o700));

    // Reinstalling keeps the kept secret (the data dir handed back to the panel account, the
    // config dir root's again, readable by the panel's group); uninstalling with --purge
    // leaves nothing.
    let secret = read(&stage, "/etc/wss-panel/config.json");
    stage.install_ok(Path::new(BIN));
    assert_eq!(read(&stage, "/etc/wss-panel/config.json"), secret);
    let panel = std::fs::metadata(stage.path("/var/lib/wss-panel")).unwrap();
    assert_ne!(panel.uid(), 0);
    for (rel, meta) in owners_under(&stage, &["/var/lib/wss-panel"]) {
        assert_eq!(meta.uid(), panel.uid(), "{rel} was not handed back to the panel account");
    }
    for (rel, meta) in owners_under(&stage, &["/etc/wss-panel"]) {
        assert_eq!((meta.uid(), meta.gid()), (0, panel.gid()), "{rel} is not root's with the panel's group");
    }
    let out = stage.uninstall(&["--purge"]);
    assert!(out.status.success(), "{}", text(&out));
    let leftovers: Vec<String> =
        changed(&before, &tree(&stage.root())).into_iter().filter(|p| !is_shadow_backup(p)).collect();
    assert_eq!(leftovers, Vec::<String>::new());
}

/// Every entry under the given staged paths, with its metadata.
fn owners_under(stage: &Stage, paths: &[&str]) -> Vec<(String, std::fs::Metadata)> {
    let mut out = Vec::new();
    for path in paths {
        for (rel, _) in tree(&stage.path(path)) {
            let meta = std::fs::symlink_metadata(stage.path(path).join(&rel)).unwrap();
            out.push((format!("{path}/{rel}"), meta));
        }
    }
    out
}

/// issue 16, defect 7: an install made when the panel account was called `admin` is migrated
/// by the next run: same uid and gid (so the data stays its own), new name everywhere.
/// issue 9: an install from the release that gave `/etc/wss-panel` to the panel account, with
/// what an intruder holding that account left there (a link at key.pem to a root file, a FIFO):
/// the re-run makes the directory root's, drops what is not a plain file without following
/// it, and keeps the old hash (readable by the panel's group) for the panel to adopt instead of
/// writing a new one.
#[test]
fn a_rerun_over_the_panel_owned_layout_hands_the_config_dir_to_root() {
    if !ready(TOOLS) {
        return;
    }
    let stage = Stage::new();
    stage.install_ok(Path::new(BIN));
    let etc = stage.path("/etc/wss-panel");
    let data_meta = std::fs::metadata(stage.path("/var/lib/wss-panel")).unwrap();
    let (uid, gid) = (data_meta.uid(), data_meta.gid());
    // The old layout: the panel owns the directory and its files, the hash lives there.
    std::fs::rename(stage.path("/var/lib/wss-panel/admin_password.hash"), etc.join("admin_password.hash"))
        .unwrap();
    for entry in std::fs::read_dir(&etc).unwrap() {
        std::os::unix::fs::lchown(entry.unwrap().path(), Some(uid), Some(gid)).unwrap();
    }
    std::os::unix::fs::chown(&etc, Some(uid), Some(gid)).unwrap();
    std::fs::set_permissions(&etc, std::fs::Permissions::from_mode(0o700)).unwrap();
    let victim = stage.path("/etc/victim");
    std::fs::write(&victim, "root's own\n").unwrap();
    std::fs::remove_file(etc.join("key.pem")).unwrap();
    std::os::unix::fs::symlink(&victim, etc.join("key.pem")).unwrap();
    nix::unistd::mkfifo(&etc.join("fifo"), nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let hash = std::fs::read(etc.join("admin_password.hash")).unwrap();

    // No admin password given: the old hash is found where the old release kept it.
    let out = stage.install(Path::new(BIN), &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "root's own\n", "written through the link");
    assert!(!etc.join("fifo").exists());
    let key = std::fs::symlink_metadata(etc.join("key.pem")).unwrap();
    assert!(key.is_file(), "a fresh key, not the link");
    assert_eq!((mode(&stage, "/etc/wss-panel"), std::fs::metadata(&etc).unwrap().uid()), (0o750, 0));
    for (rel, meta) in owners_under(&stage, &["/etc/wss-panel"]) {
        assert_eq!((meta.uid(), meta.gid(), meta.mode() & 0o027), (0, gid, 0), "{rel}");
    }
    assert_eq!(std::fs::read(etc.join("admin_password.hash")).unwrap(), hash, "kept for the panel to adopt");
    assert_eq!(std::fs::metadata(etc.join("admin_password.hash")).unwrap().mode() & 0o040, 0o040);
    assert!(!stage.path("/var/lib/wss-panel/admin_password.hash").exists(), "a second hash written");
}

#[test]
fn a_rerun_renames_the_old_admin_panel_account_to_wss_panel() {
    if !ready(TOOLS) {
        return;
    }
    let stage = Stage::new();
    let out = stage.install(Path::new(BIN), &["--panel-user", "admin"]);
    assert!(out.status.success(), "{}", text(&out));
    let entry = |name: &str| {
        read(&stage, "/etc/passwd").lines().find(|l| l.starts_with(&format!("{name}:"))).map(str::to_owned)
    };
    let old: Vec<String> = entry("admin").unwrap().split(':').map(str::to_owned).collect();
    stage.install_ok(Path::new(BIN));
    assert_eq!(entry("admin"), None);
    let new: Vec<String> =
        entry("wss-panel").expect("wss-panel account").split(':').map(str::to_owned).collect();
    assert_eq!((&new[2], &new[3]), (&old[2], &old[3]), "uid and gid are kept");
    assert!(!read(&stage, "/etc/group").lines().any(|l| l.starts_with("admin:")));
    assert!(read(&stage, "/etc/systemd/system/wss_panel.service").contains("User=wss-panel"));
    assert!(
        read(&stage, "/etc/sudoers.d/99-wss-panel").lines().any(|l| l.starts_with("wss-panel ALL=(root)"))
    );
    assert!(read(&stage, "/var/lib/wss-panel-installer/answers").contains("panel_user=wss-panel"));
    let config = wss_panel::config::Config::load(&stage.path("/etc/wss-panel/config.json")).unwrap();
    assert_eq!(config.panel_user, "wss-panel");
    let manifest = read(&stage, "/var/lib/wss-panel-installer/manifest");
    assert!(manifest.lines().any(|l| l == "user wss-panel") && !manifest.contains("admin"), "{manifest}");
    let out = stage.uninstall(&["--purge"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(entry("wss-panel"), None);
}

#[test]
fn the_install_scripts_pass_shellcheck() {
    if !crate::helpers::sshd::have_tool("shellcheck") {
        return;
    }
    let out = Command::new("shellcheck")
        .arg(super::script("install.sh"))
        .arg(super::script("uninstall.sh"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

/// Settings moved the shell door (the helper's `set-door-ports` rewrote the installed files);
/// a later `install.sh` run (an upgrade) keeps the door where it is instead of putting back the
/// answers file's ports.
#[test]
fn a_rerun_keeps_the_door_ports_settings_chose() {
    use wss_panel::system::DoorPorts;
    use wss_panel::system::door_ports::{config_with_doors, current, rewrite_sshd, rewrite_stunnel};
    if !ready(TOOLS) {
        return;
    }
    let stage = Stage::new();
    stage.install_ok(Path::new(BIN));
    let (stunnel, sshd, config) =
        ("/etc/stunnel/wss.conf", "/etc/ssh/sshd_config_stunnel", "/etc/wss-panel/config.json");
    let doors = DoorPorts { stunnel: 8444, sshd: 8222 };
    // What the helper writes, on the staged files (the helper itself writes only the real /etc).
    std::fs::write(stage.path(stunnel), rewrite_stunnel(&read(&stage, stunnel), doors).unwrap()).unwrap();
    std::fs::write(stage.path(sshd), rewrite_sshd(&read(&stage, sshd), doors.sshd).unwrap()).unwrap();
    std::fs::write(stage.path(config), config_with_doors(&read(&stage, config), doors).unwrap()).unwrap();
    stage.install_ok(Path::new(BIN));
    assert_eq!(current(&read(&stage, stunnel), &read(&stage, sshd)), Ok(doors));
    let json: serde_json::Value = serde_json::from_str(&read(&stage, config)).unwrap();
    assert_eq!((json["stunnel_port"].as_u64(), json["sshd_stunnel_port"].as_u64()), (Some(8444), Some(8222)));
    let answers = read(&stage, "/var/lib/wss-panel-installer/answers");
    assert!(
        answers.contains("stunnel_port=8444\n") && answers.contains("sshd_stunnel_port=8222\n"),
        "{answers}"
    );
    // A flag still wins.
    let out = stage.install(Path::new(BIN), &["--stunnel-port", "9444"]);
    assert!(out.status.success(), "{}", super::text(&out));
    assert_eq!(
        current(&read(&stage, stunnel), &read(&stage, sshd)),
        Ok(DoorPorts { stunnel: 9444, sshd: 8222 })
    );
}
