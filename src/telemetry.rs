//! Logging: one line per event on stdout for journald, level from `RUST_LOG` (default info).
//! No timestamps when running under systemd (journald adds its own).

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let under_journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(false)
        .with_writer(std::io::stdout);
    let result = if under_journald { builder.without_time().try_init() } else { builder.try_init() };
    // A second init (tests) keeps the first subscriber.
    drop(result);
}
