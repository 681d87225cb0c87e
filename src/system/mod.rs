//! Everything that needs root, reached only through typed commands.
//!
//! The panel builds a [`SystemCommand`] (validated values only, see [`validate`]) and the
//! `CommandRunner` actor turns it into `sudo -n /usr/local/bin/wss-panel privileged <op>
//! <args>` ([`SystemCommand::helper_args`]; a password goes on stdin). The root side,
//! [`helper::run`], parses the argv again with the same rules, checks accounts against its own
//! list ([`accounts`]), and runs fixed argv with fixed tools ([`tool`], [`users`],
//! [`firewall`], [`tunnel_guard`], [`config_file`], [`door_ports`], [`shadow`]). [`sudoers`] renders the one sudoers rule that allows it.
//!
//! Pure: `command`, `validate`, `sudoers`. Root-side I/O: `helper`, `accounts`, `users`,
//! `firewall`, `tunnel_guard`, `tool`, `config_file`, `door_ports` (its rewrites are pure),
//! `shadow`.

pub mod accounts;
pub mod command;
pub mod config_file;
pub mod door_ports;
pub mod error;
pub mod firewall;
pub mod helper;
pub mod shadow;
pub mod sudoers;
pub mod tool;
pub mod tunnel_guard;
pub mod users;
pub mod validate;

pub use accounts::STATE_DIR;
pub use command::{DoorPorts, ListenPorts, ParseError, Parsed, SystemCommand};
pub use error::{HelperError, exit};
pub use sudoers::DEFAULT_HELPER_PATH;
pub use validate::{ArgError, IpNet, LogLines, Service};
