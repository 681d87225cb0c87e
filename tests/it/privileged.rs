//! The privileged helper for real: `wss-panel privileged ...` as root, changing real account
//! files and firewall rules, each scenario inside private mount (and network) namespaces so
//! the host stays untouched (see `sandbox`).

mod accounts;
mod bans;
mod door_ports;
mod fresh;
mod hostile;
mod import_accounts;
mod leftovers;
mod node_accounts;
mod planted;
mod runner;
pub mod sandbox;
mod set_ports;
mod sudo;
mod tunnel_group;
