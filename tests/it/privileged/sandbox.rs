//! Running the real root helper without touching the host. Each scenario test runs itself
//! again, as a child process of this same test binary, under `unshare --mount` (and `--net`
//! for firewall scenarios); the child, seeing the sandbox variable, runs the scenario. Before
//! the child starts, the sandbox makes the machine look fresh: a private copy of `/etc` over
//! `/etc` without the host's people (uid/gid 1000-65533) or this project's accounts and groups,
//! with sudo's configuration as installed; an overlay with a throwaway upper layer over `/var`
//! in which the host's `/var/lib/wss-panel*` are whited out; an empty `/run/systemd` (a machine
//! whose PID 1 is not systemd, like CI). The outer test then checks that the host's account
//! files, helper state and firewall tables are unchanged afterwards.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_wss-panel");
pub const STATE_FILE: &str = "/var/lib/wss-panel-helper/accounts";
const INSIDE_VAR: &str = "WSS_PRIVILEGED_SANDBOX";

const SETUP: &str = r#"set -eu
d="$WSS_SANDBOX_DIR"
mkdir "$d/etc" "$d/var-upper" "$d/var-work" "$d/home"
cp -a /etc/. "$d/etc/"
# A fresh machine's accounts: none of the host's people (uid/gid 1000-65533) and none of this
# project's own accounts and groups, so a test's names never meet the host's (and a host
# that ran install.sh or `up --system-accounts` looks like one that never did).
awk -F: '($3 >= 1000 && $3 < 65534) || $1 == "wss-panel" { print $1 }' "$d/etc/passwd" > "$d/drop-users"
awk -F: '($3 >= 1000 && $3 < 65534) || $1 == "wss-panel" || $1 == "shell_users" || $1 == "wss_tunnel" { print $1 }' \
  "$d/etc/group" > "$d/drop-groups"
for f in passwd shadow group gshadow; do
  [ -f "$d/etc/$f" ] || continue
  awk -F: -v OFS=: -v users="$d/drop-users" -v groups="$d/drop-groups" '
    BEGIN { while ((getline n < users) > 0) u[n] = 1; while ((getline n < groups) > 0) g[n] = 1 }
    FILENAME ~ /\/(group|gshadow)$/ && ($1 in g) { next }
    FILENAME ~ /\/(passwd|shadow)$/ && ($1 in u) { next }
    FILENAME ~ /\/(group|gshadow)$/ { m = ""; k = split($NF, a, ","); for (i = 1; i <= k; i++) if (!(a[i] in u)) m = m (m == "" ? "" : ",") a[i]; $NF = m }
    { print }' "$d/etc/$f" > "$d/filtered"
  cat "$d/filtered" > "$d/etc/$f"
done
# sudo as installed: the host's own rules (a broken drop-in, a NOPASSWD line) stay outside.
if [ -f "$d/etc/sudoers" ]; then
  printf '%s\n' 'Defaults env_reset' 'Defaults mail_badpass' \
    'Defaults secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"' \
    'Defaults use_pty' 'root ALL=(ALL:ALL) ALL' '%sudo ALL=(ALL:ALL) ALL' '@includedir /etc/sudoers.d' \
    > "$d/etc/sudoers"
  find "$d/etc/sudoers.d" -mindepth 1 ! -name README -exec rm -rf {} +
fi
mount --bind "$d/etc" /etc
# Whether PID 1 is systemd is the host's business: the scenarios see a machine without it (as
# CI is), so no script in them reloads or restarts the host's services.
if [ -d /run/systemd ]; then mount -t tmpfs tmpfs /run/systemd; fi
# grant-shell creates homes: an empty private /home.
mount --bind "$d/home" /home
mount -t overlay overlay -o "lowerdir=/var,upperdir=$d/var-upper,workdir=$d/var-work" /var
# A host that once ran the helper or install.sh has their state under /var: whited out in the
# upper layer, so every scenario starts from none (the host's copy is untouched).
rm -rf /var/lib/wss-panel-helper /var/lib/wss-panel /var/lib/wss-panel-installer
if [ -n "${WSS_SANDBOX_NET:-}" ]; then ip link set lo up; fi
export WSS_PRIVILEGED_SANDBOX=1
exec "$@"
"#;

/// Files the helper must never change on the host (and, for refusals, in the sandbox).
pub const ACCOUNT_FILES: &[&str] = &["/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow"];

/// Are we root with every tool the scenario needs? Missing ones fail the test when
/// `WSS_REQUIRE_TOOLS=1` (CI), and skip it with a note otherwise.
pub fn ready(tools: &[&str]) -> bool {
    let mut missing: Vec<String> =
        tools.iter().filter(|t| find_tool(t).is_none()).map(|t| t.to_string()).collect();
    if !nix::unistd::geteuid().is_root() {
        missing.push("root privileges".into());
    }
    if missing.is_empty() {
        return true;
    }
    assert!(!crate::helpers::tools_required(), "missing for this test: {}", missing.join(", "));
    eprintln!("note: skipping, missing {}", missing.join(", "));
    false
}

pub fn find_tool(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].iter().map(|d| Path::new(d).join(name)).find(|p| p.is_file())
}

/// The body of a scenario test: outside the sandbox, re-run this same test inside it (and
/// check the host is untouched); inside, run `body`.
pub fn scenario_test(module: &str, test: &str, private_net: bool, tools: &[&str], body: fn()) {
    if std::env::var_os(INSIDE_VAR).is_some() {
        body();
    } else if ready(tools) {
        run_inside(&scenario(module, test), private_net);
    }
}

/// Runs the test `name` (its path without the crate name) inside the sandbox and
/// fails if it fails, or if anything on the host changed.
pub fn run_inside(name: &str, private_net: bool) {
    let host_before = host_snapshot();
    let dir = tempfile::Builder::new().prefix("wss-sandbox").tempdir_in("/tmp").unwrap();
    let mut unshare = Command::new("unshare");
    unshare.args(["--mount", "--propagation", "private"]);
    if private_net {
        unshare.arg("--net").env("WSS_SANDBOX_NET", "1");
    }
    let out = unshare
        .args(["sh", "-c", SETUP, "sandbox"])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env("WSS_SANDBOX_DIR", dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "sandboxed {name} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert_eq!(host_snapshot(), host_before, "the host changed while {name} ran");
}

/// What must not change on the host: account files, the helper's state, the firewall.
fn host_snapshot() -> BTreeMap<String, Vec<u8>> {
    let mut all = snapshot(&[ACCOUNT_FILES, &[STATE_FILE]].concat());
    all.insert("helper state dir exists".into(), vec![Path::new("/var/lib/wss-panel-helper").exists() as u8]);
    if find_tool("nft").is_some() {
        all.extend(our_nft_tables());
    }
    all
}

/// Our nft tables as listed, or absent. Only ours: the host's own rules may change while a
/// test runs (other software, other tests), and are not this test's business.
pub fn our_nft_tables() -> BTreeMap<String, Vec<u8>> {
    [wss_panel::system::firewall::NFT_TABLE, wss_panel::system::tunnel_guard::NFT_TABLE]
        .iter()
        .map(|table| {
            let out = Command::new("nft").args(["list", "table", "inet", table]).output().unwrap();
            let listed = if out.status.success() { out.stdout } else { b"<absent>".to_vec() };
            (format!("nft table inet {table}"), listed)
        })
        .collect()
}

/// Called first by every sandboxed scenario: refuses to run anywhere else.
pub fn enter() {
    assert_eq!(
        std::env::var(INSIDE_VAR).as_deref(),
        Ok("1"),
        "this scenario changes /etc: run it through its outer test, never directly"
    );
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let private = |point: &str| mounts.lines().any(|l| l.split(' ').nth(4) == Some(point));
    assert!(private("/etc") && private("/var"), "/etc and /var are not private mounts");
    assert!(
        !Path::new("/var/lib/wss-panel-helper").exists(),
        "the sandbox shows helper state from outside it (the host's /var/lib/wss-panel-helper)"
    );
}

/// Contents of files (absent files map to an empty marker distinct from an empty file).
pub fn snapshot(paths: &[&str]) -> BTreeMap<String, Vec<u8>> {
    paths
        .iter()
        .map(|p| {
            let body = std::fs::read(p).unwrap_or_else(|_| b"<absent>".to_vec());
            (p.to_string(), body)
        })
        .collect()
}

/// What one helper call did.
#[derive(Debug)]
pub struct HelperRun {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// `wss-panel privileged ARGS` with `stdin` (nothing if `None`).
pub fn helper(args: &[&str], stdin: Option<&str>) -> HelperRun {
    let mut child = Command::new(BIN)
        .arg("privileged")
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let _ = pipe.write_all(text.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    HelperRun {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A helper call that must succeed.
pub fn helper_ok(args: &[&str], stdin: Option<&str>) -> HelperRun {
    let run = helper(args, stdin);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    run
}

/// Any other program; must exit 0.
pub fn run(program: &str, args: &[&str]) -> Output {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The passwd entry's fields, if the account exists.
pub fn passwd_entry(name: &str) -> Option<Vec<String>> {
    std::fs::read_to_string("/etc/passwd")
        .unwrap()
        .lines()
        .map(|l| l.split(':').map(str::to_owned).collect::<Vec<_>>())
        .find(|f| f[0] == name)
}

/// The second field of `passwd -S`: P (usable password), L (locked) or NP (none).
pub fn password_status(name: &str) -> String {
    let out = run("passwd", &["-S", name]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split_whitespace().nth(1).unwrap_or("").to_owned()
}

pub fn helper_list() -> Vec<String> {
    std::fs::read_to_string(STATE_FILE).unwrap_or_default().lines().map(str::to_owned).collect()
}

/// The libtest name of a sandboxed scenario in `module` (`module_path!()`).
pub fn scenario(module: &str, function: &str) -> String {
    let path = module.split_once("::").map_or(module, |(_, rest)| rest);
    format!("{path}::{function}")
}

/// A fresh tmpfs over `dir`, visible inside the sandbox only (scratch dirs a scenario fills).
///
/// This build's binary stays at its path even when it lives under `dir` (a checkout in /tmp):
/// it is held by a bind mount in the sandbox's private /etc, then bound back into the tmpfs.
pub fn private_tmpfs(dir: &str, mode: &str) {
    let hidden = Path::new(BIN).starts_with(dir);
    let held = "/etc/wss-sandbox-bin";
    if hidden {
        std::fs::write(held, b"").unwrap();
        run("mount", &["--bind", BIN, held]);
    }
    run("mount", &["-t", "tmpfs", "-o", &format!("mode={mode}"), "tmpfs", dir]);
    if hidden {
        std::fs::create_dir_all(Path::new(BIN).parent().unwrap()).unwrap();
        std::fs::write(BIN, b"").unwrap();
        run("mount", &["--bind", held, BIN]);
    }
}

/// Makes the fixed helper path `/usr/local/bin/wss-panel` this build's binary, inside the
/// sandbox only: an overlay with a throwaway upper layer over /usr/local/bin, and the binary
/// bind-mounted onto an empty file there.
pub fn install_fixed_helper() {
    let d = std::env::var("WSS_SANDBOX_DIR").unwrap();
    let (upper, work) = (format!("{d}/bin-upper"), format!("{d}/bin-work"));
    std::fs::create_dir_all(&upper).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    let opts = format!("lowerdir=/usr/local/bin,upperdir={upper},workdir={work}");
    run("mount", &["-t", "overlay", "overlay", "-o", &opts, "/usr/local/bin"]);
    let fixed = wss_panel::system::DEFAULT_HELPER_PATH;
    std::fs::write(fixed, b"").unwrap();
    run("mount", &["--bind", BIN, fixed]);
}
