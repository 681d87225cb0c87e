//! Taking over the Linux accounts the original made for its users: each goes on the root
//! helper's own list (so the panel may lock, re-password and delete it from now on) and into
//! the tunnel group, as `guard-tunnels` does for every listed account. Passwords, homes and
//! login shells are left alone. This runs in the `import-original` process itself, as root;
//! no sudo-reachable helper operation adds foreign accounts to the list.

use crate::domain::Username;
use crate::system::accounts::State;
use crate::system::users::{FIRST_REGULAR_UID, adopt_listed_accounts, ensure_tunnel_group};

/// Shells the original gave its accounts (`useradd -s /sbin/nologin`); an account with a
/// real shell is somebody's login and is not taken over.
const TUNNEL_SHELLS: [&str; 4] = ["/sbin/nologin", "/usr/sbin/nologin", "/bin/false", "/usr/bin/false"];

/// Where an imported user's Linux account stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Account {
    Missing,
    /// Exists but is not one the original made for a customer.
    Refused(String),
    Eligible,
}

/// The host's accounts, or a test's stand-in.
pub trait Accounts {
    fn check(&self, name: &str) -> Account;
    /// Puts the names on the helper's list and into the tunnel group; says what it did.
    fn take_over(&mut self, names: &[Username]) -> anyhow::Result<String>;
}

/// The real passwd database and the helper's state directory; needs root.
pub struct HostAccounts;

impl Accounts for HostAccounts {
    fn check(&self, name: &str) -> Account {
        match nix::unistd::User::from_name(name) {
            Ok(None) | Err(_) => Account::Missing,
            Ok(Some(u)) if u.uid.as_raw() < FIRST_REGULAR_UID => {
                Account::Refused(format!("system uid {} (below {FIRST_REGULAR_UID})", u.uid))
            }
            Ok(Some(u)) => {
                let shell = u.shell.display().to_string();
                if TUNNEL_SHELLS.contains(&shell.as_str()) {
                    Account::Eligible
                } else {
                    Account::Refused(format!("login shell {shell} is not a tunnel account's"))
                }
            }
        }
    }

    fn take_over(&mut self, names: &[Username]) -> anyhow::Result<String> {
        if !nix::unistd::geteuid().is_root() {
            anyhow::bail!("taking over the Linux accounts needs root (or pass --skip-accounts)");
        }
        let state = State::open()?;
        for name in names {
            state.add(name)?;
        }
        let gid = ensure_tunnel_group()?;
        let moved = adopt_listed_accounts(&state, gid)?;
        Ok(format!(
            "{} Linux account(s) on the helper's list; {moved} moved into the tunnel group",
            names.len()
        ))
    }
}
