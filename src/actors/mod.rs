//! The panel's actors. Each owns its state; others reach it only by message.
//!
//! Who sends what:
//! - web handlers → `UserRegistry`: user commands (`CreateUser`, `UpdateUser`, `DeleteUser`,
//!   `SetUserStatus`, `RenewUser`, `ResetTraffic`, `SetPassword`, `KickUser`) and queries
//!   (`GetUser`, `ListUsers`). Handlers send nothing else about users.
//! - `UserRegistry` → `ChangeDispatcher`: `Publish`, after every commit, one `UserChanged`
//!   (before, after, cause) per changed user. This is the only road from a user change to
//!   its consequences: the dispatcher runs `planner::plan` and delivers the plan:
//!   → `CommandRunner`: `Run(SystemCommand)` (create/lock/unlock/delete the account,
//!   password, shell access, kill its processes); → `NodeHub`: `Broadcast` (kick,
//!   update_limits, reset_traffic, delete); → `UiHub`: `Notify(users_changed)`.
//!   `web::hosts` → `ChangeDispatcher`: `Publish(Change::Hosts)` (→ reload_hosts, hosts_changed).
//! - `/ipc` sessions (`web::ws_ipc`) → `NodeHub`: `NodeConnected` (with what the hello said)
//!   / `NodeDisconnected`;
//!   → `StatsAggregator`: `ApplyStatsReport` every second per node.
//! - `StatsAggregator` → `UserRegistry`: `ApplyTraffic` once per tick (one transaction; a
//!   user it pushes over quota is published as `Cause::Traffic`), `ReassertNotActive` for
//!   the users with live tunnels (those who may not connect are published again,
//!   `Cause::Reasserted`, so their tunnels end); → node sessions: `Ack`; → subscribers
//!   (`FuseDecider`, `UiHub`): `LiveTick`.
//! - `FuseDecider` → `UserRegistry`: `FuseUser` (published as `Cause::Fused`).
//! - `MaintenanceScheduler` → `UserRegistry`: `SettleAll` every interval (`Cause::Settled`).
//! - `NodeHub` → node sessions: `ToNode` (the broadcasts above; the host list to a node that
//!   connects); → `StatsAggregator`: `NodeGone`.
//! - the Nodes view (`web::node_view`) → `NodeHub`: `ListNodeSessions`; → `StatsAggregator`:
//!   `GetLiveView` (its `per_node` numbers).
//! - `/internal/auth` → `StatsAggregator`: `GetConnectionsElsewhere`; → `UserRegistry`: `GetUser`.
//! - web handlers → `CommandRunner`: `Run(SystemCommand)` for what is not a user change (IP
//!   bans, service restarts, logs and status, ports). It answers with the helper's stdout or
//!   a `RunError`.
//! - web handlers → `UiHub`: `CloseSessions` (logout, admin password); `/ws/ui` sessions →
//!   `UiHub`: `Join` / `Leave`; `UiHub` → sessions: `UiPush`.
//!
//! Blocking work never runs on an actix event loop: the registry lives on a `SyncArbiter`
//! thread (it is the store's single writer), and bcrypt runs on the blocking pool before a
//! command is sent. `CommandRunner` awaits its child processes with `tokio::process`, so no
//! event loop waits on the OS.

pub mod backup_scheduler;
pub mod change;
pub mod command_runner;
pub mod dispatcher;
pub mod fuse_decider;
pub mod maintenance;
pub mod node_hub;
pub mod node_messages;
pub mod planner;
pub mod stats_aggregator;
pub mod ui_hub;
pub mod user_registry;
