//! The one sudoers rule that lets the panel user run the helper as root, and nothing else.
//! No I/O.
//!
//! Why `privileged *` does not hand out a root shell: sudo matches the helper's absolute path
//! exactly and requires `privileged` as the first argument, so the rule reaches only
//! `wss-panel privileged ...`. That subcommand reads no config file and no environment (sudo
//! resets it; the helper empties it again for every tool), and accepts only its closed set of
//! operations, none of which takes a path, a program, a shell fragment or an option for a
//! tool. Every argument is re-validated as root. What stays the installer's job: the binary
//! and every directory above it must be owned by root and not writable by the panel user,
//! otherwise the panel user could replace the program the rule names.

use super::validate::{self, ArgError};
use crate::domain::is_valid_username_shape;

/// Where `install.sh` puts the binary; the panel's sudo backend uses the same default.
pub const DEFAULT_HELPER_PATH: &str = "/usr/local/bin/wss-panel";

/// The contents of `/etc/sudoers.d/99-wss-panel`: a comment and exactly one rule.
pub fn render(panel_user: &str, helper_path: &str) -> Result<String, ArgError> {
    if !is_valid_username_shape(panel_user) || panel_user == "root" {
        return Err(ArgError::Account(format!(
            "panel user {}: expected an account name (lowercase letter or '_' first, then \
             lowercase letters, digits, '_' or '-'; at most 32) other than root",
            validate::quote(panel_user)
        )));
    }
    let helper = validate::helper_path(helper_path)?;
    Ok(format!(
        "# wss-panel: the panel may run its root helper, which accepts only fixed operations.\n\
         {panel_user} ALL=(root) NOPASSWD: {helper} privileged *\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_names_the_user_and_the_helper_only() {
        let text = render("admin", DEFAULT_HELPER_PATH).unwrap();
        let rules: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(rules, ["admin ALL=(root) NOPASSWD: /usr/local/bin/wss-panel privileged *"]);
    }

    #[test]
    fn hostile_users_and_paths_are_refused() {
        for user in ["root", "", "a b", "ALL", "%sudo", "a,b", "a\nb", "-o"] {
            assert!(render(user, DEFAULT_HELPER_PATH).is_err(), "{user:?}");
        }
        for path in ["/bin/sh *", "/usr/bin/x, /bin/sh", "relative", "/a\nb"] {
            assert!(render("admin", path).is_err(), "{path:?}");
        }
    }
}
