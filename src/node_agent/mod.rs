//! `wss-panel node-agent`: keeps this node's Linux accounts as the panel holds them. The
//! proxy (unprivileged, no sudo needed) writes what the panel sent on `/ipc` to the spool
//! file `<node_spool_dir>/node-accounts.json` ([`Config::account_spool_path`]); this loop
//! reads it, asks the root helper what its own accounts look like (`list-accounts`) and runs
//! the helper commands [`plan::plan`] decides, one at a time. The spool's directory is the
//! proxy's and the file 0640 in the panel account's group; it is never read through a link
//! (the proxy account could plant one to a file of ours). The spool is rechecked every
//! [`POLL`]; an unchanged spool is applied again every [`RECHECK`] (and after a failure)
//! so drift made by hand on the node is repaired.

pub mod plan;

use crate::actors::command_runner::{Backend, RunError, run_once};
use crate::config::{CommandBackend, Config};
use crate::system::SystemCommand;
use crate::wire::AccountState;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How often the spool is looked at.
pub const POLL: Duration = Duration::from_secs(1);
/// How often an unchanged spool is applied again.
pub const RECHECK: Duration = Duration::from_secs(300);
/// Longest spool read (10,000 accounts are ~1.5 MB).
const MAX_SPOOL_BYTES: u64 = 64 << 20;

pub fn main(config: Config) -> anyhow::Result<()> {
    let backend = match config.command_backend {
        CommandBackend::Sudo => Backend::Sudo { helper_path: config.helper_path.clone() },
        CommandBackend::Direct => Backend::Direct { helper_path: config.helper_path.clone() },
        CommandBackend::Recording => anyhow::bail!("node-agent needs command_backend sudo or direct"),
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let stop = CancellationToken::new();
        tokio::spawn(crate::proxy::cancel_on_signal(stop.clone()));
        run(config.account_spool_path(), backend, stop).await;
        Ok(())
    })
}

/// Until `stop`: apply the spool whenever it changes, and every [`RECHECK`].
pub async fn run(spool: PathBuf, backend: Backend, stop: CancellationToken) {
    tracing::info!(event = "NODE_AGENT_STARTED", spool = %spool.display());
    let mut applied: Option<(Vec<u8>, Instant)> = None;
    while !stop.is_cancelled() {
        if let Some(bytes) = read_spool(&spool) {
            let fresh = applied.as_ref().is_none_or(|(b, at)| *b != bytes || at.elapsed() >= RECHECK);
            if fresh {
                let clean = apply(&bytes, &backend).await;
                applied = clean.then(|| (bytes, Instant::now()));
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.cancelled() => {}
        }
    }
}

/// The spool's bytes; none until the proxy has written one (after the panel's first
/// `Reconcile`): with no list there is nothing to reconcile against, and nothing is deleted.
fn read_spool(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new().read(true).custom_flags(nix::libc::O_NOFOLLOW).open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_SPOOL_BYTES).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// One reconcile pass; true when every command succeeded.
async fn apply(bytes: &[u8], backend: &Backend) -> bool {
    let wanted: Vec<AccountState> = match serde_json::from_slice(bytes) {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(event = "NODE_AGENT_SPOOL_INVALID", error = %e);
            return false;
        }
    };
    let have = match run_once(backend, &SystemCommand::ListAccounts).await {
        Ok(out) => plan::parse_have(&out.stdout),
        Err(e) => Err(e.to_string()),
    };
    let have = match have {
        Ok(have) => have,
        Err(e) => {
            tracing::error!(event = "NODE_AGENT_LIST_FAILED", error = %e);
            return false;
        }
    };
    let commands = plan::plan(&wanted, &have);
    let mut failed = 0;
    for command in &commands {
        if let Err(e) = run_once(backend, command).await {
            failed += 1;
            log_failure(command, &e);
        }
    }
    if !commands.is_empty() || failed > 0 {
        tracing::info!(
            event = "ACCOUNTS_RECONCILED",
            wanted = wanted.len(),
            commands = commands.len(),
            failed
        );
    }
    failed == 0
}

fn log_failure(command: &SystemCommand, e: &RunError) {
    tracing::warn!(event = "SYSTEM_COMMAND_FAILED", command = %command.describe(), error = %e);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spool_is_read_as_a_plain_file_never_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join(crate::wire::ACCOUNT_SPOOL_FILE);
        assert_eq!(read_spool(&spool), None, "no spool yet: nothing to reconcile");
        let secret = dir.path().join("admin_token");
        std::fs::write(&secret, "\"not for the agent\"").unwrap();
        std::os::unix::fs::symlink(&secret, &spool).unwrap();
        assert_eq!(read_spool(&spool), None, "read through a link the proxy account planted");
        std::fs::remove_file(&spool).unwrap();
        std::fs::create_dir(&spool).unwrap();
        assert_eq!(read_spool(&spool), None, "a directory is not a spool");
        std::fs::remove_dir(&spool).unwrap();
        std::fs::write(&spool, "[]").unwrap();
        assert_eq!(read_spool(&spool).as_deref(), Some(&b"[]"[..]));
    }
}
