//! `CryptHash`: a crypt(3) SHA-512 hash (`$6$SALT$HASH`, default 5000 rounds) of a tunnel
//! password, made by the panel when the password is set and sent to the nodes' helpers
//! (`chpasswd -e`) instead of the password. The grammar is strict because the root helper
//! writes the value into `/etc/shadow`: `$6$`, a salt of 1-16 characters and a hash of exactly
//! 86 characters, both from crypt's alphabet `./0-9A-Za-z`; no `rounds=` (the panel never
//! makes one, and a huge count would make every login slow). No I/O but the salt's randomness.

use super::Password;
use std::fmt;

const PREFIX: &str = "$6$";
const MAX_SALT_CHARS: usize = 16;
const HASH_CHARS: usize = 86;
const ALPHABET: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "crypt hash must be $6$SALT$HASH: a salt of 1-{MAX_SALT_CHARS} and a hash of {HASH_CHARS} characters of ./0-9A-Za-z"
)]
pub struct BadCryptHash;

/// A valid `$6$` hash. Debug never shows it (it is an offline-guessable secret).
#[derive(Clone, PartialEq, Eq)]
pub struct CryptHash(String);

impl CryptHash {
    pub fn parse(raw: &str) -> Result<Self, BadCryptHash> {
        let rest = raw.strip_prefix(PREFIX).ok_or(BadCryptHash)?;
        let (salt, hash) = rest.split_once('$').ok_or(BadCryptHash)?;
        let crypt_chars = |s: &str| s.bytes().all(|b| ALPHABET.contains(&b));
        let salt_ok = (1..=MAX_SALT_CHARS).contains(&salt.len()) && crypt_chars(salt);
        if !salt_ok || hash.len() != HASH_CHARS || !crypt_chars(hash) {
            return Err(BadCryptHash);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The hash of `password` with a fresh 16-character salt. About 5000 SHA-512 rounds:
    /// call it off the actor threads, beside bcrypt.
    pub fn make(password: &Password) -> Self {
        let mut random = [0u8; MAX_SALT_CHARS];
        getrandom::fill(&mut random).expect("the OS random source failed");
        let salt: String =
            random.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
        Self::with_salt(password, &salt)
    }

    fn with_salt(password: &Password, salt: &str) -> Self {
        let params = sha_crypt::Sha512Params::default();
        let hash = sha_crypt::sha512_crypt_b64(password.expose().as_bytes(), salt.as_bytes(), &params)
            .expect("default rounds are valid");
        Self(format!("{PREFIX}{salt}${hash}"))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CryptHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CryptHash(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(s: &str) -> Password {
        Password::parse(s).unwrap()
    }

    #[test]
    fn the_hash_is_what_glibc_and_openssl_make() {
        // `openssl passwd -6 -salt saltsaltsaltsalt Tun-Pass-1`
        let made = CryptHash::with_salt(&pw("Tun-Pass-1"), "saltsaltsaltsalt");
        assert_eq!(
            made.expose(),
            "$6$saltsaltsaltsalt$QazxR1tOI9Gx0vZJQTpffVk8TJLRzBnFBfztqaSYeS/H7mVBGPTgNh8LVqZO3BKbTfX6pg3cxG0vUvDWu2ujI0"
        );
    }

    #[test]
    fn made_hashes_parse_and_differ_by_salt() {
        let (a, b) = (CryptHash::make(&pw("x")), CryptHash::make(&pw("x")));
        assert_ne!(a, b);
        for h in [a, b] {
            assert_eq!(CryptHash::parse(h.expose()), Ok(h.clone()));
            assert!(!format!("{h:?}").contains("$6$"));
        }
    }

    #[test]
    fn anything_else_is_refused() {
        let good = CryptHash::make(&pw("x")).expose().to_owned();
        let hash = &good[good.len() - HASH_CHARS..];
        let bad = [
            String::new(),
            "!".to_owned() + &good,
            good.replacen("$6$", "$5$", 1),
            good.replacen("$6$", "$1$", 1),
            format!("$6$rounds=999999999$salt${hash}"),
            format!("$6$${hash}"),
            format!("$6$saltsaltsaltsalt1${hash}"),
            format!("$6$salt${}", &hash[1..]),
            format!("$6$salt${hash}x"),
            format!("$6$sa:t${hash}"),
            format!("$6$salt${}:", &hash[1..]),
            format!("$6$salt${}\n", &hash[1..]),
            format!("$6$sa\nt${hash}"),
            format!("$6$salt${}\0", &hash[1..]),
            format!("$6$salt${}é", &hash[2..]),
            format!("{good}\nroot:$6$x${hash}"),
            "*".to_owned(),
            "x".repeat(4000),
        ];
        for raw in bad {
            assert_eq!(CryptHash::parse(&raw), Err(BadCryptHash), "{raw:?}");
        }
    }
}
