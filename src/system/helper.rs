//! The root side: `wss-panel privileged <op> <args>`, run by the panel through `sudo -n`.
//! It trusts nothing the panel sends: the argv is parsed again with the same rules
//! ([`SystemCommand::parse_helper_args`]), accounts must be on the helper's own list
//! ([`super::accounts`]), and each operation runs fixed tools with fixed argv
//! ([`super::tool`]). One line per call on stderr; passwords are never printed.
//!
//! Exit codes (sysexits): 0 done, 64 usage (unknown operation, wrong number of arguments),
//! 65 refused argument, 69 a tool is missing or hung, 70 a tool or the helper's state failed,
//! 77 not running as root.

use super::accounts::State;
use super::command::{Parsed, SystemCommand};
pub use super::error::{HelperError, exit};
use super::tool::{self, RESTART_TIMEOUT};
use super::validate::{self, Service};
use super::{config_file, door_ports, firewall, shadow, tunnel_guard, users};
use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

/// Longest stdin the helper reads for `set-password`; a password is at most 72 bytes.
const MAX_STDIN_BYTES: u64 = 1024;

/// `wss-panel privileged <op> <args>` as the OS hands them over; non-UTF-8 is refused.
pub fn run_os(args: &[OsString]) -> ExitCode {
    let utf8: Option<Vec<String>> = args.iter().map(|a| a.to_str().map(str::to_owned)).collect();
    match utf8 {
        Some(args) => run(&args),
        None => finish("?", Err(HelperError::Refused("argument is not UTF-8".into()))),
    }
}

/// Parses, checks and performs one operation; prints its output on stdout and one log line
/// on stderr.
pub fn run(args: &[String]) -> ExitCode {
    let result = command_from(args, &mut std::io::stdin().lock());
    let label = match &result {
        Ok(command) => command.describe(),
        Err(_) => args.first().map_or("-".to_owned(), |op| validate::quote(op)),
    };
    finish(&label, result.and_then(|command| perform(&command)))
}

fn finish(label: &str, result: Result<String, HelperError>) -> ExitCode {
    match result {
        Ok(stdout) => {
            print!("{stdout}");
            eprintln!("wss-panel privileged: {label}: ok");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wss-panel privileged: {label}: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// The command an argv (and, for `set-password`, stdin) describes. No side effects other
/// than reading `stdin`.
pub fn command_from(args: &[String], stdin: &mut dyn Read) -> Result<SystemCommand, HelperError> {
    match SystemCommand::parse_helper_args(args)? {
        Parsed::Complete(command) => Ok(command),
        Parsed::NeedsPassword(user) => {
            Ok(SystemCommand::SetPassword { user, password: read_password(stdin)? })
        }
        Parsed::NeedsCryptHash(user) => {
            Ok(SystemCommand::SetCryptHash { user, hash: read_crypt_hash(stdin)? })
        }
    }
}

/// `HASH` or `HASH\n`, a `$6$` hash by [`crate::domain::CryptHash`]'s strict grammar.
fn read_crypt_hash(stdin: &mut dyn Read) -> Result<crate::domain::CryptHash, HelperError> {
    let text = read_line(stdin, "crypt hash")?;
    crate::domain::CryptHash::parse(&text).map_err(|e| HelperError::Refused(e.to_string()))
}

/// `PASSWORD` or `PASSWORD\n`; any other control character or `:` is refused.
fn read_password(stdin: &mut dyn Read) -> Result<crate::domain::Password, HelperError> {
    let text = read_line(stdin, "password")?;
    Ok(validate::password(&text)?)
}

/// At most [`MAX_STDIN_BYTES`] of UTF-8, one trailing newline dropped.
fn read_line(stdin: &mut dyn Read, what: &str) -> Result<String, HelperError> {
    let mut raw = Vec::new();
    stdin
        .take(MAX_STDIN_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| HelperError::Usage(format!("cannot read the {what} on stdin: {e}")))?;
    if raw.len() as u64 > MAX_STDIN_BYTES {
        return Err(HelperError::Refused(format!("{what} on stdin is too long")));
    }
    let mut text =
        String::from_utf8(raw).map_err(|_| HelperError::Refused(format!("{what} on stdin is not UTF-8")))?;
    if text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

fn perform(command: &SystemCommand) -> Result<String, HelperError> {
    use SystemCommand::*;
    if command.needs_root() && !nix::unistd::geteuid().is_root() {
        return Err(HelperError::NotRoot);
    }
    match command {
        BanIp { net } => {
            let _serialized = State::open()?;
            firewall::ban(*net).map(|()| String::new())
        }
        UnbanIp { net } => {
            let _serialized = State::open()?;
            firewall::unban(*net).map(|()| String::new())
        }
        RestartService { service } => {
            let unit = service.unit();
            tool::run_ok_with("systemctl", &["restart", &unit], None, RESTART_TIMEOUT).map(|_| String::new())
        }
        ServiceLogs { service, lines } => {
            let (unit, n) = (service.unit(), lines.get().to_string());
            tool::run_ok("journalctl", &["-u", &unit, "-n", &n, "--no-pager"]).map(|o| o.stdout)
        }
        IsActive { service } => is_active(*service),
        GuardTunnels { udpgw_port } => tunnel_guard::apply(&State::open()?, *udpgw_port),
        SetPorts { ports } => config_file::set_ports(Path::new(config_file::INSTALLED_CONFIG), *ports),
        SetDoorPorts { doors } => door_ports::set_door_ports(*doors),
        ListAccounts => shadow::list_accounts(&State::open()?),
        _ => users::perform(command, &State::open()?),
    }
}

/// `systemctl is-active` answers with a state word and an exit code that encodes the state
/// (3 = inactive ...); only a missing word is a failure.
fn is_active(service: Service) -> Result<String, HelperError> {
    let out = tool::run("systemctl", &["is-active", &service.unit()], None, tool::TOOL_TIMEOUT)?;
    match out.stdout.split_whitespace().next() {
        Some(state) => Ok(format!("{state}\n")),
        None => tool::expect_codes("systemctl", out, &[]).map(|_| String::new()),
    }
}

#[cfg(test)]
mod tests;
