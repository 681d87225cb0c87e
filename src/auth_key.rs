//! The salted key both auth caches (the proxy's verdict cache and the panel's bcrypt-success
//! cache) file a user and password under, so that neither keeps the password itself. One
//! place, so the two caches cannot drift apart in how they hash.

use sha2::{Digest, Sha256};

/// A random per-process salt: keys are worthless outside the process that made them, and
/// a dump of either cache gives no offline guessing target.
pub struct AuthKeyer {
    salt: [u8; 32],
}

impl AuthKeyer {
    /// A fresh random salt from the OS.
    pub fn random() -> Self {
        let mut salt = [0u8; 32];
        getrandom::fill(&mut salt).expect("the OS random source is available");
        AuthKeyer { salt }
    }

    /// SHA-256 of salt, user, a zero byte and password. The zero byte keeps ("ab", "c")
    /// and ("a", "bc") apart (a username never contains NUL).
    pub fn key(&self, user: &str, password: &str) -> [u8; 32] {
        Sha256::new()
            .chain_update(self.salt)
            .chain_update(user.as_bytes())
            .chain_update([0])
            .chain_update(password.as_bytes())
            .finalize()
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_depends_on_user_password_and_salt() {
        let k = AuthKeyer { salt: [7; 32] };
        assert_eq!(k.key("u", "pw"), k.key("u", "pw"));
        assert_ne!(k.key("u", "pw"), k.key("u", "pw2"));
        assert_ne!(k.key("ab", "c"), k.key("a", "bc"), "the separator keeps the fields apart");
        assert_ne!(k.key("u", "pw"), AuthKeyer { salt: [8; 32] }.key("u", "pw"));
    }
}
