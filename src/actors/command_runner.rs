//! `CommandRunner`: the panel's only door to the operating system. It takes typed
//! [`SystemCommand`]s (never strings, never a shell) and runs them through the root helper:
//! `sudo -n HELPER privileged <op> <args>` in production, `HELPER privileged ...` when the
//! panel already runs as root, or not at all with the recording backend (tests and `up`).
//!
//! Commands run one at a time, in the order they arrive (`AtomicResponse`): `create-user`
//! must finish before the `set-password` sent right after it, and the helper serializes on
//! its own lock anyway. The child process is awaited with `tokio::process` inside the
//! actor's future, so the arbiter thread keeps serving other actors and HTTP while a command
//! runs; no thread is parked on `wait()`.

use crate::system::{SystemCommand, exit};
use actix::prelude::*;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Longer than the helper's own longest tool timeout (a service restart), so the helper
/// reports a hung tool itself before the panel gives up on the helper.
pub const DEFAULT_RUN_TIMEOUT: Duration = Duration::from_secs(150);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RunError {
    #[error("the helper refused the command: {0}")]
    Refused(String),
    #[error("the helper did not understand the command: {0}")]
    Usage(String),
    #[error("a system tool is unavailable: {0}")]
    Unavailable(String),
    #[error("the system command failed: {0}")]
    Failed(String),
    #[error("not permitted to run the helper as root: {0}")]
    NotPermitted(String),
    #[error("cannot start {program}: {detail}")]
    Spawn { program: String, detail: String },
    #[error("the helper did not finish within {} s", .0.as_secs())]
    Timeout(Duration),
}

/// What the helper printed on stdout (`logs`, `is-active`); empty for most commands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommandOutput {
    pub stdout: String,
}

/// Run one command.
#[derive(Debug, Message)]
#[rtype(result = "Result<CommandOutput, RunError>")]
pub struct Run(pub SystemCommand);

/// How commands reach the OS.
#[derive(Debug, Clone)]
pub enum Backend {
    /// `sudo -n HELPER privileged ...`; `is-active` runs the helper without sudo.
    Sudo { helper_path: PathBuf },
    /// `HELPER privileged ...`, for a panel that already runs as root.
    Direct { helper_path: PathBuf },
    /// Records every command and succeeds with empty output.
    Recording(Arc<Mutex<Vec<SystemCommand>>>),
}

impl Backend {
    /// Program and arguments for a command, or `None` for the recording backend.
    pub fn argv(&self, command: &SystemCommand) -> Option<(PathBuf, Vec<String>)> {
        let (program, mut args) = match self {
            Backend::Sudo { helper_path } if command.needs_root() => {
                (PathBuf::from("sudo"), vec!["-n".into(), "--".into(), path_arg(helper_path)])
            }
            Backend::Sudo { helper_path } | Backend::Direct { helper_path } => {
                (helper_path.clone(), Vec::new())
            }
            Backend::Recording(_) => return None,
        };
        args.push("privileged".into());
        args.extend(command.helper_args());
        Some((program, args))
    }
}

fn path_arg(path: &std::path::Path) -> String {
    path.to_string_lossy().into_owned()
}

/// What an exit code from `sudo` or the helper means. `sudo -n` itself exits 1 when it may
/// not run the command (no rule, or a password would be needed).
pub fn classify(code: Option<i32>, stdout: String, stderr: &str) -> Result<CommandOutput, RunError> {
    let message = stderr.trim().lines().last().unwrap_or("").to_owned();
    let code = match code {
        Some(c) => c,
        None => return Err(RunError::Failed(format!("killed by a signal: {message}"))),
    };
    match u8::try_from(code) {
        Ok(exit::OK) => Ok(CommandOutput { stdout }),
        Ok(exit::USAGE) => Err(RunError::Usage(message)),
        Ok(exit::REFUSED) => Err(RunError::Refused(message)),
        Ok(exit::UNAVAILABLE) => Err(RunError::Unavailable(message)),
        Ok(exit::NOT_ROOT) => Err(RunError::NotPermitted(message)),
        Ok(1) if stderr.contains("sudo:") => Err(RunError::NotPermitted(message)),
        _ => Err(RunError::Failed(format!("exit {code}: {message}"))),
    }
}

pub struct CommandRunner {
    backend: Backend,
    timeout: Duration,
}

impl CommandRunner {
    pub fn new(backend: Backend) -> Self {
        Self { backend, timeout: DEFAULT_RUN_TIMEOUT }
    }

    pub fn with_timeout(backend: Backend, timeout: Duration) -> Self {
        Self { backend, timeout }
    }
}

impl Actor for CommandRunner {
    type Context = Context<Self>;
}

/// Runs the command to completion before the next one starts; logs operation and operands
/// (never a password).
/// Answers once every command sent before it has finished: commands run one at a time, in
/// arrival order, so this is handled only after them. The API awaits it after a user change,
/// so that `201 Created` means the Linux account exists (and has its password and shell).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Settled;

impl Handler<Settled> for CommandRunner {
    type Result = ();

    fn handle(&mut self, _: Settled, _ctx: &mut Context<Self>) {}
}

impl Handler<Run> for CommandRunner {
    type Result = AtomicResponse<Self, Result<CommandOutput, RunError>>;

    fn handle(&mut self, Run(command): Run, _ctx: &mut Context<Self>) -> Self::Result {
        let what = command.describe();
        let Some((program, args)) = self.backend.argv(&command) else {
            if let Backend::Recording(log) = &self.backend {
                log.lock().expect("recording lock").push(command);
            }
            tracing::info!(event = "SYSTEM_COMMAND", command = %what, backend = "recording");
            return AtomicResponse::new(Box::pin(fut::ready(Ok(CommandOutput::default()))));
        };
        let stdin = command.stdin_payload();
        let timeout = self.timeout;
        let job = async move {
            let result = spawn(program, args, stdin, timeout).await;
            match &result {
                Ok(_) => tracing::info!(event = "SYSTEM_COMMAND", command = %what),
                Err(e) => {
                    tracing::warn!(event = "SYSTEM_COMMAND_FAILED", command = %what, error = %e)
                }
            }
            result
        };
        AtomicResponse::new(Box::pin(job.into_actor(self)))
    }
}

/// One command outside the actor system (the node agent): the same argv, stdin and exit
/// code rules as [`CommandRunner`], with [`DEFAULT_RUN_TIMEOUT`]. The recording backend
/// does nothing and answers empty.
pub async fn run_once(backend: &Backend, command: &SystemCommand) -> Result<CommandOutput, RunError> {
    let Some((program, args)) = backend.argv(command) else {
        return Ok(CommandOutput::default());
    };
    let result = spawn(program, args, command.stdin_payload(), DEFAULT_RUN_TIMEOUT).await;
    if result.is_ok() && !matches!(command, SystemCommand::ListAccounts) {
        tracing::info!(event = "SYSTEM_COMMAND", command = %command.describe());
    }
    result
}

async fn spawn(
    program: PathBuf,
    args: Vec<String>,
    stdin: Option<String>,
    timeout: Duration,
) -> Result<CommandOutput, RunError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let spawn_error =
        |e: std::io::Error| RunError::Spawn { program: path_arg(&program), detail: e.to_string() };
    // Its own process group, so that a timeout ends the helper and whatever it started.
    let mut child = tokio::process::Command::new(&program)
        .args(&args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(spawn_error)?;
    let group = child.id().and_then(|id| i32::try_from(id).ok()).map(nix::unistd::Pid::from_raw);
    let read_all = |pipe: Option<Box<dyn tokio::io::AsyncRead + Unpin + Send>>| {
        tokio::spawn(async move {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buf).await;
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let stdout = read_all(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = read_all(child.stderr.take().map(|p| Box::new(p) as _));
    if let (Some(payload), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // If the helper exits without reading (it refused), its exit code says why.
        let _ = pipe.write_all(payload.as_bytes()).await;
    }
    let status = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => status.map_err(spawn_error)?,
        Err(_) => {
            end_group(&mut child, group).await;
            stdout.abort();
            stderr.abort();
            return Err(RunError::Timeout(timeout));
        }
    };
    // A grandchild that outlives the helper may hold the pipes open: the reads are bounded too.
    let (stdout, stderr) = tokio::time::timeout(PIPE_GRACE, async {
        (stdout.await.unwrap_or_default(), stderr.await.unwrap_or_default())
    })
    .await
    .unwrap_or_default();
    classify(status.code(), stdout, &stderr)
}

/// How long the output of a helper that has exited may take to arrive.
const PIPE_GRACE: Duration = Duration::from_secs(2);

/// A helper past its timeout: SIGTERM to its group first (through `sudo`, which relays it to
/// the helper it runs as root), SIGKILL to the group and the child after a grace period.
async fn end_group(child: &mut tokio::process::Child, group: Option<nix::unistd::Pid>) {
    use nix::sys::signal::{Signal, killpg};
    if let Some(group) = group {
        let _ = killpg(group, Signal::SIGTERM);
    }
    if tokio::time::timeout(PIPE_GRACE, child.wait()).await.is_err() {
        let _ = child.start_kill();
    }
    if let Some(group) = group {
        let _ = killpg(group, Signal::SIGKILL);
    }
    let _ = child.wait().await;
}

#[cfg(test)]
mod tests;
