//! The panel's actors. Each owns its state; others reach it only by message.
//!
//! Who sends what:
//! - web handlers → `UserRegistry`: user commands (`CreateUser`, `UpdateUser`, `DeleteUser`,
//!   `SetUserStatus`, `RenewUser`, `ResetTraffic`, `SetPassword`) and queries (`GetUser`,
//!   `ListUsers`).
//! - `/ipc` sessions (`web::ws_ipc`) → `NodeHub`: `NodeConnected` / `NodeDisconnected`;
//!   → `StatsAggregator`: `ApplyStatsReport` every second per node.
//! - `StatsAggregator` → `UserRegistry`: `ApplyTraffic` once per tick (one transaction);
//!   → node sessions: `Ack`; → subscribers: `LiveTick`.
//! - `NodeHub` → node sessions: `ToNode` (kick, update_limits, ...); → `StatsAggregator`:
//!   `NodeGone`.
//! - `/internal/auth` → `StatsAggregator`: `GetConnectionsElsewhere`.
//! - panel actors and web handlers → `CommandRunner`: `Run(SystemCommand)` (create/lock/
//!   unlock/delete accounts, passwords, shell access, kills, IP bans, service restarts, logs
//!   and status). It answers with the helper's stdout or a `RunError`.
//! - `StatsAggregator` → `UiHub`: `LiveTick`; web handlers → `UiHub`: `Notify`,
//!   `CloseSessions`; `/ws/ui` sessions → `UiHub`: `Join` / `Leave`; `UiHub` → sessions: `UiPush`.
//!
//! Blocking work never runs on an actix event loop: the registry lives on a `SyncArbiter`
//! thread (it is the store's single writer), and bcrypt runs on the blocking pool before a
//! command is sent. `CommandRunner` awaits its child processes with `tokio::process`, so no
//! event loop waits on the OS.

pub mod backup_scheduler;
pub mod command_runner;
pub mod effects;
pub mod fuse_decider;
pub mod maintenance;
pub mod node_hub;
pub mod stats_aggregator;
pub mod ui_hub;
pub mod user_registry;
