//! `SystemCommand`: everything the panel may ask of the operating system, as typed values.
//! A command becomes the helper's argv (`wss-panel privileged <op> <args>`) and, on the root
//! side, is parsed back from it with the same rules. A password (or a node's crypt hash)
//! travels on stdin, never in argv (argv is visible to every local user in `ps`). No I/O.

use super::validate::{self, ArgError, IpNet, LogLines, Service};
use crate::domain::{CryptHash, Password, Username};

/// One typed operation. Every field has already passed its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemCommand {
    /// A Linux account with the nologin shell and no home directory.
    CreateUser {
        user: Username,
    },
    SetPassword {
        user: Username,
        password: Password,
    },
    /// `chpasswd -e`: a node's account gets the panel's `$6$` hash (never the password).
    /// Leaves the account unlocked, like `set-password`.
    SetCryptHash {
        user: Username,
        hash: CryptHash,
    },
    /// One line per account on the helper's list that exists:
    /// `NAME LOCKED(0|1) SHELL(0|1) HASH` where HASH is the hex SHA-256 of the shadow hash
    /// (without a lock's `!`) or `-` when it has none; the hash itself never leaves root.
    ListAccounts,
    LockUser {
        user: Username,
    },
    UnlockUser {
        user: Username,
    },
    /// Kills the account's processes first.
    DeleteUser {
        user: Username,
    },
    /// Member of `shell_users`, login shell `/bin/bash`.
    GrantShell {
        user: Username,
    },
    /// Not a member of `shell_users`, login shell nologin.
    RevokeShell {
        user: Username,
    },
    KillUser {
        user: Username,
    },
    BanIp {
        net: IpNet,
    },
    UnbanIp {
        net: IpNet,
    },
    RestartService {
        service: Service,
    },
    /// The last `lines` lines of the service's journal.
    ServiceLogs {
        service: Service,
        lines: LogLines,
    },
    /// `systemctl is-active`: needs no root.
    IsActive {
        service: Service,
    },
    /// The tunnel group exists, every listed account has it as primary group, and the kernel
    /// refuses the group's connections to this host's own addresses except the UDPGW port
    /// (0: no UDPGW). See [`super::tunnel_guard`].
    GuardTunnels {
        udpgw_port: u16,
    },
    /// Rewrites the listen ports in the installed, root-owned config.json (every other key
    /// kept). The path is fixed on the root side: see [`super::config_file`].
    SetPorts {
        ports: ListenPorts,
    },
    /// Moves the stunnel door and the sshd behind it: rewrites the fixed stunnel and sshd
    /// configs (and the two keys in config.json), restarts both units and puts everything
    /// back when either does not come up. See [`super::door_ports`].
    SetDoorPorts {
        doors: DoorPorts,
    },
}

/// The ports the panel edits in `/api/ports`: each 1..=65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenPorts {
    pub panel: u16,
    pub wss_http: u16,
    pub wss_tls: u16,
}

/// The ports `/api/ports` edits for the shell door: stunnel's `accept` (public) and the
/// dedicated sshd's `Port` (loopback), each 1..=65535 and different from each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoorPorts {
    pub stunnel: u16,
    pub sshd: u16,
}

/// Why an argv is not a command: a usage error (unknown operation, wrong number of
/// arguments) or a refused argument.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Refused(#[from] ArgError),
}

/// What an argv parses to. `set-password` still needs its password from stdin,
/// `set-crypt-hash` its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Complete(SystemCommand),
    NeedsPassword(Username),
    NeedsCryptHash(Username),
}

/// The operations and their argument names, for usage messages.
pub const OPERATIONS: &[(&str, &str)] = &[
    ("create-user", "USER"),
    ("set-password", "USER (password on stdin)"),
    ("set-crypt-hash", "USER ($6$ hash on stdin)"),
    ("list-accounts", "(no arguments)"),
    ("lock", "USER"),
    ("unlock", "USER"),
    ("delete-user", "USER"),
    ("grant-shell", "USER"),
    ("revoke-shell", "USER"),
    ("kill-user", "USER"),
    ("ban-ip", "ADDRESS[/PREFIX]"),
    ("unban-ip", "ADDRESS[/PREFIX]"),
    ("restart", "SERVICE"),
    ("logs", "SERVICE LINES"),
    ("is-active", "SERVICE"),
    ("guard-tunnels", "UDPGW_PORT"),
    ("set-ports", "PANEL_PORT WSS_HTTP_PORT WSS_TLS_PORT"),
    ("set-door-ports", "STUNNEL_PORT SSHD_STUNNEL_PORT"),
];

impl SystemCommand {
    /// The operation's name: the first helper argument.
    pub fn op(&self) -> &'static str {
        use SystemCommand::*;
        match self {
            CreateUser { .. } => "create-user",
            SetPassword { .. } => "set-password",
            SetCryptHash { .. } => "set-crypt-hash",
            ListAccounts => "list-accounts",
            LockUser { .. } => "lock",
            UnlockUser { .. } => "unlock",
            DeleteUser { .. } => "delete-user",
            GrantShell { .. } => "grant-shell",
            RevokeShell { .. } => "revoke-shell",
            KillUser { .. } => "kill-user",
            BanIp { .. } => "ban-ip",
            UnbanIp { .. } => "unban-ip",
            RestartService { .. } => "restart",
            ServiceLogs { .. } => "logs",
            IsActive { .. } => "is-active",
            GuardTunnels { .. } => "guard-tunnels",
            SetPorts { .. } => "set-ports",
            SetDoorPorts { .. } => "set-door-ports",
        }
    }

    /// The account the command acts on, if any.
    pub fn user(&self) -> Option<&Username> {
        use SystemCommand::*;
        match self {
            CreateUser { user }
            | SetPassword { user, .. }
            | SetCryptHash { user, .. }
            | LockUser { user }
            | UnlockUser { user }
            | DeleteUser { user }
            | GrantShell { user }
            | RevokeShell { user }
            | KillUser { user } => Some(user),
            _ => None,
        }
    }

    /// The arguments after the operation name; never a password.
    fn operands(&self) -> Vec<String> {
        use SystemCommand::*;
        match self {
            BanIp { net } | UnbanIp { net } => vec![net.to_string()],
            RestartService { service } | IsActive { service } => vec![service.to_string()],
            ServiceLogs { service, lines } => vec![service.to_string(), lines.get().to_string()],
            GuardTunnels { udpgw_port } => vec![udpgw_port.to_string()],
            SetPorts { ports } => {
                [ports.panel, ports.wss_http, ports.wss_tls].map(|p| p.to_string()).to_vec()
            }
            SetDoorPorts { doors } => vec![doors.stunnel.to_string(), doors.sshd.to_string()],
            other => other.user().map(|u| vec![u.to_string()]).unwrap_or_default(),
        }
    }

    /// The argv after `wss-panel privileged`.
    pub fn helper_args(&self) -> Vec<String> {
        let mut args = vec![self.op().to_owned()];
        args.extend(self.operands());
        args
    }

    /// What to log about the command: its operation and operands (no password).
    pub fn describe(&self) -> String {
        self.helper_args().join(" ")
    }

    /// What the helper reads on stdin: `PASSWORD\n` for `set-password`, nothing otherwise.
    pub fn stdin_payload(&self) -> Option<String> {
        match self {
            SystemCommand::SetPassword { password, .. } => Some(format!("{}\n", password.expose())),
            SystemCommand::SetCryptHash { hash, .. } => Some(format!("{}\n", hash.expose())),
            _ => None,
        }
    }

    /// Only `is-active` works without root.
    pub fn needs_root(&self) -> bool {
        !matches!(self, SystemCommand::IsActive { .. })
    }

    /// The root side: argv after `privileged` back into a command, with every rule applied.
    pub fn parse_helper_args(args: &[String]) -> Result<Parsed, ParseError> {
        use SystemCommand::*;
        let Some((op, rest)) = args.split_first() else {
            return Err(usage("no operation given"));
        };
        let Some(&(_, shape)) = OPERATIONS.iter().find(|(name, _)| name == op) else {
            return Err(usage(&format!("unknown operation {}", validate::quote(op))));
        };
        let want = match op.as_str() {
            "logs" | "set-door-ports" => 2,
            "set-ports" => 3,
            "list-accounts" => 0,
            _ => 1,
        };
        if rest.len() != want {
            return Err(ParseError::Usage(format!("{op} takes {want} argument(s): {op} {shape}")));
        }
        if op == "list-accounts" {
            return Ok(Parsed::Complete(ListAccounts));
        }
        let arg = rest[0].as_str();
        let user = || validate::username(arg);
        let service = || Service::parse(arg);
        let net = || IpNet::parse(arg);
        let command = match op.as_str() {
            "set-password" => return Ok(Parsed::NeedsPassword(user()?)),
            "set-crypt-hash" => return Ok(Parsed::NeedsCryptHash(user()?)),
            "create-user" => CreateUser { user: user()? },
            "lock" => LockUser { user: user()? },
            "unlock" => UnlockUser { user: user()? },
            "delete-user" => DeleteUser { user: user()? },
            "grant-shell" => GrantShell { user: user()? },
            "revoke-shell" => RevokeShell { user: user()? },
            "kill-user" => KillUser { user: user()? },
            "ban-ip" => BanIp { net: net()? },
            "unban-ip" => UnbanIp { net: net()? },
            "restart" => RestartService { service: service()? },
            "is-active" => IsActive { service: service()? },
            "guard-tunnels" => GuardTunnels { udpgw_port: validate::port(arg)? },
            "set-ports" => SetPorts {
                ports: ListenPorts {
                    panel: validate::listen_port(arg)?,
                    wss_http: validate::listen_port(&rest[1])?,
                    wss_tls: validate::listen_port(&rest[2])?,
                },
            },
            "set-door-ports" => SetDoorPorts { doors: door_ports(arg, &rest[1])? },
            _ => ServiceLogs { service: service()?, lines: LogLines::parse(&rest[1])? },
        };
        Ok(Parsed::Complete(command))
    }
}

/// Two listen ports that differ: stunnel would otherwise forward to itself.
fn door_ports(stunnel: &str, sshd: &str) -> Result<DoorPorts, ParseError> {
    let doors = DoorPorts { stunnel: validate::listen_port(stunnel)?, sshd: validate::listen_port(sshd)? };
    if doors.stunnel == doors.sshd {
        return Err(ArgError::Ports(format!("{stunnel} twice: stunnel and its sshd need two ports")).into());
    }
    Ok(doors)
}

fn usage(why: &str) -> ParseError {
    let ops: Vec<&str> = OPERATIONS.iter().map(|(name, _)| *name).collect();
    ParseError::Usage(format!("{why}; operations: {}", ops.join(", ")))
}

#[cfg(test)]
mod tests;
