//! How the root helper runs a system tool: a fixed program found only in fixed directories,
//! fixed argv (no shell ever parses anything), an emptied environment, stdin only when given,
//! and a timeout after which the tool is killed.

use super::error::HelperError;
use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// The only places tools are looked up; the caller's PATH is never used.
pub const TOOL_DIRS: &[&str] = &["/usr/sbin", "/usr/bin", "/sbin", "/bin"];
/// Most tools answer in milliseconds; this bounds a hung one.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(30);
/// `systemctl restart` waits for the unit to stop (systemd's default stop timeout is 90 s).
pub const RESTART_TIMEOUT: Duration = Duration::from_secs(120);

/// What a finished tool said.
#[derive(Debug)]
pub struct ToolOutput {
    /// `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// An executable regular file named `name` in [`TOOL_DIRS`].
pub fn locate(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    TOOL_DIRS
        .iter()
        .map(|d| PathBuf::from(d).join(name))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// Runs `name args...` and returns whatever it said, whatever its exit code.
pub fn run<S: AsRef<OsStr>>(
    name: &'static str,
    args: &[S],
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> Result<ToolOutput, HelperError> {
    let program = locate(name).ok_or(HelperError::Unavailable {
        tool: name,
        detail: format!("not found in {}", TOOL_DIRS.join(":")),
    })?;
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .env_clear()
        .env("PATH", TOOL_DIRS.join(":"))
        .env("LC_ALL", "C")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| unavailable(name, e))?;
    let output = runtime.block_on(async {
        let mut child = command.spawn().map_err(|e| unavailable(name, e))?;
        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            use tokio::io::AsyncWriteExt;
            // A tool that exits without reading its input reports that itself.
            let _ = pipe.write_all(bytes).await;
        }
        tokio::time::timeout(timeout, child.wait_with_output())
            .await
            .map_err(|_| HelperError::Unavailable {
                tool: name,
                detail: format!("no answer within {} s; killed", timeout.as_secs()),
            })?
            .map_err(|e| unavailable(name, e))
    })?;
    Ok(ToolOutput {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// Runs a tool that must exit 0.
pub fn run_ok<S: AsRef<OsStr>>(name: &'static str, args: &[S]) -> Result<ToolOutput, HelperError> {
    run_ok_with(name, args, None, TOOL_TIMEOUT)
}

/// Runs a tool that must exit 0, with stdin and a timeout.
pub fn run_ok_with<S: AsRef<OsStr>>(
    name: &'static str,
    args: &[S],
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> Result<ToolOutput, HelperError> {
    let output = run(name, args, stdin, timeout)?;
    expect_codes(name, output, &[0])
}

/// Accepts the listed exit codes; any other code, or a signal, is the tool failing.
pub fn expect_codes(name: &'static str, output: ToolOutput, ok: &[i32]) -> Result<ToolOutput, HelperError> {
    match output.code {
        Some(code) if ok.contains(&code) => Ok(output),
        code => Err(HelperError::ToolFailed { tool: name, code, stderr: one_line(&output.stderr) }),
    }
}

/// A tool's stderr squeezed onto one line for the helper's message.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn unavailable(tool: &'static str, e: std::io::Error) -> HelperError {
    HelperError::Unavailable { tool, detail: e.to_string() }
}
