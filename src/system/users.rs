//! The account operations of the root helper. `create-user` refuses names the passwd or group
//! database already knows; every other operation refuses names missing from the helper's own
//! list and accounts with a system uid. Names reach the tools only after `--` (or as the
//! argument of an option), and a name cannot start with `-` anyway.
//!
//! Every tunnel account has [`TUNNEL_GROUP`] as its primary group: the main sshd allows
//! password logins from loopback only to that group, and the kernel matches the group's
//! sockets (`meta skgid`, the primary gid of sshd's session process) to keep tunnel customers
//! off this host's own services ([`super::tunnel_guard`]).

use super::accounts::State;
use super::command::SystemCommand;
use super::error::HelperError;
use super::tool::{self, TOOL_TIMEOUT, expect_codes, run_ok, run_ok_with};
use crate::domain::Username;
use nix::unistd::{Group, User};
use std::time::Duration;

/// The group whose members may log in on the stunnel sshd.
pub const SHELL_GROUP: &str = "shell_users";
/// The primary group of every tunnel account (install.sh and its sshd drop-in use the name).
pub const TUNNEL_GROUP: &str = "wss_tunnel";
pub const NOLOGIN_SHELL: &str = "/usr/sbin/nologin";
pub const LOGIN_SHELL: &str = "/bin/bash";
/// Where shell users' homes are made (useradd's default on Debian and Ubuntu).
const HOME_BASE: &str = "/home";
/// Accounts below this uid belong to the system, whatever the list says.
pub const FIRST_REGULAR_UID: u32 = 1000;
/// How long `delete-user` waits for killed processes to be gone before `userdel`.
const PROCESS_EXIT_WAIT: Duration = Duration::from_secs(5);

pub fn perform(command: &SystemCommand, state: &State) -> Result<String, HelperError> {
    use SystemCommand::*;
    let not_ours = || HelperError::Usage(format!("{} is not an account operation", command.op()));
    let Some(user) = command.user() else {
        return Err(not_ours());
    };
    if let CreateUser { .. } = command {
        return create(user, state).map(|()| String::new());
    }
    let account = managed_account(user, state)?;
    let name = user.as_str();
    match command {
        SetPassword { password, .. } => {
            let line = format!("{name}:{}\n", password.expose());
            run_ok_with("chpasswd", &[] as &[&str], Some(line.as_bytes()), TOOL_TIMEOUT)?;
        }
        SetCryptHash { hash, .. } => {
            let line = format!("{name}:{}\n", hash.expose());
            run_ok_with("chpasswd", &["--encrypted"], Some(line.as_bytes()), TOOL_TIMEOUT)?;
        }
        LockUser { .. } => drop(run_ok("usermod", &["--lock", "--", name])?),
        UnlockUser { .. } => drop(run_ok("usermod", &["--unlock", "--", name])?),
        DeleteUser { .. } => delete(user, account.as_ref(), state)?,
        GrantShell { .. } => grant_shell(name, account.as_ref())?,
        RevokeShell { .. } => revoke_shell(name)?,
        KillUser { .. } => kill_all(name)?,
        _ => return Err(not_ours()),
    }
    Ok(String::new())
}

/// The passwd entry of an account on the helper's list (`None` if the list has a name the
/// system has since lost).
fn managed_account(user: &Username, state: &State) -> Result<Option<User>, HelperError> {
    if !state.contains(user)? {
        return Err(HelperError::Refused(format!(
            "account '{user}' was not created by wss-panel: only accounts on the helper's list \
             may be changed"
        )));
    }
    let account = lookup(user)?;
    if let Some(found) = &account
        && found.uid.as_raw() < FIRST_REGULAR_UID
    {
        return Err(HelperError::Refused(format!(
            "account '{user}' has system uid {} (below {FIRST_REGULAR_UID})",
            found.uid
        )));
    }
    Ok(account)
}

pub fn lookup(user: &Username) -> Result<Option<User>, HelperError> {
    User::from_name(user.as_str())
        .map_err(|e| HelperError::State(format!("cannot read the passwd database: {e}")))
}

/// Recorded on the list first, so an account that exists is always one the helper may
/// delete again; forgotten again if `useradd` fails.
fn create(user: &Username, state: &State) -> Result<(), HelperError> {
    let name = user.as_str();
    if lookup(user)?.is_some() {
        return Err(HelperError::Refused(format!("account '{name}' already exists")));
    }
    if matches!(Group::from_name(name), Ok(Some(_))) {
        return Err(HelperError::Refused(format!("a group named '{name}' already exists")));
    }
    ensure_tunnel_group()?;
    state.add(user)?;
    let created = run_ok(
        "useradd",
        &[
            "--no-create-home",
            "--shell",
            NOLOGIN_SHELL,
            "--gid",
            TUNNEL_GROUP,
            "--no-user-group",
            "--comment",
            "wss-panel tunnel user",
            "--",
            name,
        ],
    );
    if created.is_err() {
        // The original error is what matters; a failed clean-up leaves a harmless name.
        let _ = state.remove(user);
    }
    created.map(drop)
}

/// The gid of [`TUNNEL_GROUP`], created (as a system group) if missing.
pub fn ensure_tunnel_group() -> Result<u32, HelperError> {
    if let Some(group) = group_named(TUNNEL_GROUP)? {
        return Ok(group.gid.as_raw());
    }
    run_ok("groupadd", &["--system", "--", TUNNEL_GROUP])?;
    group_named(TUNNEL_GROUP)?
        .map(|g| g.gid.as_raw())
        .ok_or_else(|| HelperError::State(format!("groupadd made no group {TUNNEL_GROUP}")))
}

fn group_named(name: &str) -> Result<Option<Group>, HelperError> {
    Group::from_name(name).map_err(|e| HelperError::State(format!("cannot read the group database: {e}")))
}

/// Accounts on the helper's list made before the tunnel group existed (one own group each)
/// get the tunnel group as primary group; their own group, now empty, goes. Returns how many
/// accounts changed.
pub fn adopt_listed_accounts(state: &State, gid: u32) -> Result<usize, HelperError> {
    let mut changed = 0;
    for user in state.accounts()? {
        let Some(account) = lookup(&user)? else { continue };
        let old_gid = account.gid.as_raw();
        if old_gid == gid || account.uid.as_raw() < FIRST_REGULAR_UID {
            continue;
        }
        run_ok("usermod", &["--gid", TUNNEL_GROUP, "--", user.as_str()])?;
        changed += 1;
        // useradd --user-group made a group of the same name; a later create-user of that
        // name would be refused while it stays.
        if let Some(own) = group_named(user.as_str())?
            && own.gid.as_raw() == old_gid
            && own.mem.is_empty()
        {
            run_ok("groupdel", &["--", user.as_str()])?;
        }
    }
    Ok(changed)
}

/// The account, its home and mail spool (`userdel --remove`), and whatever it left in the
/// world-writable scratch directories: a later account given the same uid must not inherit
/// any of it.
fn delete(user: &Username, account: Option<&User>, state: &State) -> Result<(), HelperError> {
    if let Some(account) = account {
        kill_all(user.as_str())?;
        wait_for_no_processes(user.as_str())?;
        // 12: the home exists but is not the account's (not ours to remove); the account is
        // gone all the same.
        let out = tool::run("userdel", &["--remove", "--", user.as_str()], None, TOOL_TIMEOUT)?;
        expect_codes("userdel", out, &[0, 12])?;
        remove_files_of(account.uid.as_raw())?;
    }
    state.remove(user)
}

/// Where an account with no home of its own leaves files.
pub const SCRATCH_DIRS: &[&str] = &["/tmp", "/var/tmp", "/dev/shm"];

/// Deletes what the uid owns under [`SCRATCH_DIRS`] (find never follows links and stays on
/// one file system); a directory of its that still holds others' files is given to root
/// instead. Runs after `userdel` and the kill, so nothing of the uid changes meanwhile.
fn remove_files_of(uid: u32) -> Result<(), HelperError> {
    let uid = uid.to_string();
    for dir in SCRATCH_DIRS.iter().filter(|d| std::path::Path::new(d).is_dir()) {
        // 1: a directory was not empty; the second pass deals with it.
        let out = tool::run("find", &[dir, "-xdev", "-depth", "-uid", &uid, "-delete"], None, TOOL_TIMEOUT)?;
        expect_codes("find", out, &[0, 1])?;
        let out = tool::run(
            "find",
            &[dir, "-xdev", "-uid", &uid, "-exec", "chown", "-h", "0:0", "{}", "+"],
            None,
            TOOL_TIMEOUT,
        )?;
        expect_codes("find", only_vanished(out), &[0])?;
    }
    Ok(())
}

/// Scratch directories change while `find` walks them: an entry that vanished on the way
/// (`No such file or directory`) is not a failure; anything else still is.
fn only_vanished(mut out: tool::ToolOutput) -> tool::ToolOutput {
    let vanished = |l: &str| l.trim().is_empty() || l.contains("No such file or directory");
    if out.code == Some(1) && out.stderr.lines().all(vanished) {
        out.code = Some(0);
    }
    out
}

/// `pkill` exits 1 when nothing matched: that is success here. 2 and 3 are real errors.
fn kill_all(name: &str) -> Result<(), HelperError> {
    let out = tool::run("pkill", &["-KILL", "-u", name], None, TOOL_TIMEOUT)?;
    expect_codes("pkill", out, &[0, 1]).map(drop)
}

/// SIGKILL is asynchronous; `userdel` refuses an account that still has processes.
fn wait_for_no_processes(name: &str) -> Result<(), HelperError> {
    let deadline = std::time::Instant::now() + PROCESS_EXIT_WAIT;
    loop {
        let out = tool::run("pgrep", &["-u", name], None, TOOL_TIMEOUT)?;
        if expect_codes("pgrep", out, &[0, 1])?.code == Some(1) || std::time::Instant::now() > deadline {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn is_member(name: &str) -> bool {
    matches!(Group::from_name(SHELL_GROUP), Ok(Some(g)) if g.mem.iter().any(|m| m == name))
}

fn grant_shell(name: &str, account: Option<&User>) -> Result<(), HelperError> {
    if !matches!(Group::from_name(SHELL_GROUP), Ok(Some(_))) {
        run_ok("groupadd", &["--system", "--", SHELL_GROUP])?;
    }
    if !is_member(name) {
        run_ok("gpasswd", &["--add", name, SHELL_GROUP])?;
    }
    run_ok("usermod", &["--shell", LOGIN_SHELL, "--", name])?;
    match account {
        Some(account) => ensure_home(name, account),
        None => Ok(()),
    }
}

/// A shell login starts in the account's home: `/home/NAME`, made 0700 and owned by the
/// account when missing (tunnel-only accounts get none). `delete-user` removes it again
/// (`userdel --remove`). A path there that is not the account's own directory is refused,
/// never taken over.
fn ensure_home(name: &str, account: &User) -> Result<(), HelperError> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    let home = std::path::Path::new(HOME_BASE).join(name);
    if account.dir != home {
        run_ok("usermod", &["--home", &home.to_string_lossy(), "--", name])?;
    }
    let state = |e: std::io::Error| HelperError::State(format!("{}: {e}", home.display()));
    match std::fs::symlink_metadata(&home) {
        Ok(meta) if meta.is_dir() && meta.uid() == account.uid.as_raw() => return Ok(()),
        Ok(_) => {
            return Err(HelperError::Refused(format!(
                "{} exists and is not {name}'s directory",
                home.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(state(e)),
    }
    std::fs::DirBuilder::new().recursive(true).mode(0o755).create(HOME_BASE).map_err(state)?;
    std::fs::DirBuilder::new().mode(0o700).create(&home).map_err(state)?;
    nix::unistd::chown(&home, Some(account.uid), Some(account.gid))
        .map_err(|e| HelperError::State(format!("chown {}: {e}", home.display())))
}

fn revoke_shell(name: &str) -> Result<(), HelperError> {
    if is_member(name) {
        run_ok("gpasswd", &["--delete", name, SHELL_GROUP])?;
    }
    run_ok("usermod", &["--shell", NOLOGIN_SHELL, "--", name]).map(drop)
}
