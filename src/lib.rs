//! wss-panel: a WSS SSH tunnel proxy and the live panel that manages its users.
//!
//! # Layout
//! - [`config`]: `config.json` → validated [`config::Config`].
//! - [`domain`]: usernames, passwords, statuses, days: parsed once, trusted after.
//! - [`store`]: redb, the only durable state; values through one versioned codec.
//! - [`actors`]: the panel's actors (`UserRegistry`, ...), one per file; the planner that
//!   turns each committed change into its consequences.
//! - [`web`]: actix-web: the route table (`web::ROUTE_TABLE`), the admin API and its
//!   sessions, CSRF gate and security headers, the embedded UI (`static/`), `/ws/ui`, the
//!   proxies' internal API.
//! - [`wire`]: every message between a proxy and the panel.
//! - [`proxy`]: the tokio data plane (never imports actix).
//! - [`system`]: everything that needs root: typed `SystemCommand`s, their validation, the
//!   root helper behind `wss-panel privileged`, the sudoers rule.
//! - [`client`], [`cli`]: the `wss-panel user ...` commands, clients of the running panel.
//! - [`node_agent`]: `wss-panel node-agent` on an enrolled node: its Linux accounts follow
//!   the panel's account messages (through the root helper).
//! - [`node_cmd`]: `wss-panel node ...`: enrolment tokens, revoke, and `enrol` on a new node.
//! - [`import`]: `wss-panel import-original`, moving over from the original panel's SQLite
//!   database, hosts.json and config.json (panel stopped, one store transaction).
//! - [`backup`]: the backup file format, `wss-panel backup` / `restore`, scheduled backups
//!   (the panel's side is `web::backup` and `actors::backup_scheduler`).
//! - [`doctor`]: `wss-panel doctor`, the troubleshooting table as checks.
//! - [`install`]: the steps `install/install.sh` asks of the binary (certificate, password
//!   hash, config.json), each keeping what is already there.
//! - [`secure_files`]: random secrets, private files, and writes that never follow a link
//!   (what root uses in directories the panel account owns).
//! - [`connect`]: `wss-panel connect`, an OpenSSH `ProxyCommand` through the tunnel.
//! - [`up`]: `wss-panel up`, panel and proxy on unprivileged ports for trying it without root.
//! - [`metrics`]: the panel's counters behind `/metrics`.
//! - [`payload`]: the payload generator (R1/R2, markers, presets for the tunnel apps) and
//!   the SNI finder's address policy; pure, shared by `/api/payload` and the tests.
//! - [`host_probe`]: listening ports from `/proc/net/tcp` and a certificate's expiry, pure
//!   parsers shared by the panel's status and a node's health report.
//! - [`tls`]: rustls server settings from PEM files (the proxy's TLS port and the panel).
//! - [`pinned_tls`]: the TLS client of remote proxy nodes, trusting one pinned certificate.
//! - [`telemetry`]: logging for journald.
//! - [`auth_key`]: the salted user+password key both auth caches (proxy, panel) use.
//!
//! `ARCHITECTURE.md` at the project root has the whole map: processes, actors and their
//! messages, the store's tables, the wire messages, the privilege boundary, the log events.
#![forbid(unsafe_code)]

pub mod actors;
pub mod auth_key;
pub mod backup;
pub mod cli;
pub mod client;
pub mod config;
pub mod connect;
pub mod doctor;
pub mod domain;
pub mod host_probe;
pub mod import;
pub mod install;
pub mod metrics;
pub mod node_agent;
pub mod node_cmd;
pub mod payload;
pub mod pinned_tls;
pub mod proxy;
pub mod secure_files;
pub mod store;
pub mod system;
pub mod telemetry;
pub mod tls;
pub mod up;
pub mod web;
pub mod wire;
