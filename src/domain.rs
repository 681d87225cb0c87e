//! Parse-don't-validate newtypes for everything an admin or a proxy hands us: usernames,
//! tunnel passwords, user status, day counts. A value of these types has passed every rule,
//! so code that holds one (the store, the privileged helper) never re-checks it. No I/O.

use serde::{Deserialize, Serialize};
use std::fmt;

pub mod crypt;
pub mod plan;

pub use crypt::CryptHash;

/// Names that would shadow a system account or a service identity, whatever /etc/passwd says.
pub const RESERVED_NAMES: &[&str] = &[
    "root",
    "daemon",
    "bin",
    "sys",
    "sync",
    "games",
    "man",
    "lp",
    "mail",
    "news",
    "uucp",
    "proxy",
    "www-data",
    "backup",
    "list",
    "irc",
    "gnats",
    "nobody",
    "sshd",
    "systemd-network",
    "systemd-resolve",
    "systemd-timesync",
    "messagebus",
    "syslog",
    "_apt",
    "admin",
    "stunnel4",
    "shell_users",
    "wss",
    "wss-panel",
    "wss_panel",
    "postfix",
    "nginx",
    "apache",
    "mysql",
    "postgres",
    "redis",
    "ubuntu",
    "debian",
    "operator",
    "halt",
    "shutdown",
    "ftp",
];

/// Longest password bcrypt can hash without silently truncating.
pub const MAX_PASSWORD_BYTES: usize = 72;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error(
        "username must be 1-32 characters: a lowercase letter or '_' first, then lowercase letters, digits, '_' or '-'"
    )]
    BadUsername,
    #[error("username '{0}' is reserved for the system")]
    ReservedUsername(String),
    #[error("password must not be empty")]
    EmptyPassword,
    #[error("password is longer than {MAX_PASSWORD_BYTES} bytes")]
    PasswordTooLong,
    #[error("password must not contain control characters or ':'")]
    PasswordBadChar,
    #[error("unknown status '{0}' (expected active, paused, expired, exceeded or fused)")]
    BadStatus(String),
    #[error("days must be between 1 and {}", Days::MAX)]
    BadDays,
}

/// A tunnel user's name: also the name of the Linux account behind it.
/// Rule: `^[a-z_][a-z0-9_-]{0,31}$` and not a reserved name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Checks the shape and the static reserved list. The panel user and existing system
    /// accounts are checked by the registry, which knows them.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if !is_valid_username_shape(raw) {
            return Err(DomainError::BadUsername);
        }
        if RESERVED_NAMES.contains(&raw) {
            return Err(DomainError::ReservedUsername(raw.to_owned()));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `^[a-z_][a-z0-9_-]{0,31}$` without a regex engine.
pub fn is_valid_username_shape(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let Some((&first, rest)) = bytes.split_first() else {
        return false;
    };
    bytes.len() <= 32
        && (first.is_ascii_lowercase() || first == b'_')
        && rest.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl<'de> Deserialize<'de> for Username {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Username::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tunnel password in clear text, on its way to bcrypt or to `chpasswd`.
/// Debug never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Rejects what bcrypt would truncate and what could break a `user:password` line.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.is_empty() {
            return Err(DomainError::EmptyPassword);
        }
        if raw.len() > MAX_PASSWORD_BYTES {
            return Err(DomainError::PasswordTooLong);
        }
        if raw.chars().any(|c| c.is_control() || c == ':') {
            return Err(DomainError::PasswordBadChar);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Where a user stands. `paused` and `fused` are set by hand or by the fuse and only an admin
/// clears them; `expired` and `exceeded` follow the expiry date and the quota automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Active,
    Paused,
    Expired,
    Exceeded,
    Fused,
}

impl UserStatus {
    pub const ALL: [UserStatus; 5] = [
        UserStatus::Active,
        UserStatus::Paused,
        UserStatus::Expired,
        UserStatus::Exceeded,
        UserStatus::Fused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Paused => "paused",
            UserStatus::Expired => "expired",
            UserStatus::Exceeded => "exceeded",
            UserStatus::Fused => "fused",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| DomainError::BadStatus(raw.to_owned()))
    }

    /// States only an admin leaves.
    pub fn is_manual(self) -> bool {
        matches!(self, UserStatus::Paused | UserStatus::Fused)
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_account_rule() {
        for ok in ["a", "_x", "alice", "bob-2", "a_b", &"a".repeat(32)] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
        for bad in
            ["", "-o", "1abc", "Alice", "a b", "a\nb", "a\0", "../x", "alice,root", &"a".repeat(33), "é"]
        {
            assert_eq!(Username::parse(bad), Err(DomainError::BadUsername), "{bad:?}");
        }
    }

    #[test]
    fn reserved_names_are_refused() {
        for name in ["root", "sshd", "nobody", "www-data", "admin"] {
            assert!(matches!(Username::parse(name), Err(DomainError::ReservedUsername(_))));
        }
    }

    #[test]
    fn passwords_that_bcrypt_or_chpasswd_would_mangle_are_refused() {
        assert_eq!(Password::parse(""), Err(DomainError::EmptyPassword));
        assert_eq!(Password::parse(&"x".repeat(73)), Err(DomainError::PasswordTooLong));
        for bad in ["a\nroot:pw", "a\rb", "a\0b", "a:b", "tab\there"] {
            assert_eq!(Password::parse(bad), Err(DomainError::PasswordBadChar), "{bad:?}");
        }
        assert!(Password::parse(&"x".repeat(72)).is_ok());
        assert!(Password::parse("päss wörd!").is_ok());
    }

    #[test]
    fn password_debug_hides_the_secret() {
        let p = Password::parse("hunter2").unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[test]
    fn status_round_trips_through_its_name() {
        for s in UserStatus::ALL {
            assert_eq!(UserStatus::parse(s.as_str()), Ok(s));
        }
        assert!(UserStatus::parse("disabled").is_err());
    }
}

/// Days since 1970-01-01 (UTC): how expiry dates and traffic history are keyed.
pub type Day = i32;
const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;
pub const SECS_PER_DAY: i64 = 86_400;

/// Shifts the panel's clock, for end-to-end tests of expiry (`WSS_PANEL_CLOCK_OFFSET_SECS`).
/// Read once; unset in production.
pub const CLOCK_OFFSET_ENV: &str = "WSS_PANEL_CLOCK_OFFSET_SECS";

pub fn now_unix() -> i64 {
    static OFFSET: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    let offset = *OFFSET
        .get_or_init(|| std::env::var(CLOCK_OFFSET_ENV).ok().and_then(|v| v.parse().ok()).unwrap_or(0));
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64);
    secs.unwrap_or(0) + offset
}

/// The UTC day a moment falls on.
pub fn day_of(unix_secs: i64) -> Day {
    unix_secs.div_euclid(SECS_PER_DAY) as Day
}

/// `YYYY-MM-DD` for a day number.
pub fn format_day(day: Day) -> String {
    match time::Date::from_julian_day(day + UNIX_EPOCH_JULIAN_DAY) {
        Ok(d) => format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day()),
        Err(_) => format!("day {day}"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a date in YYYY-MM-DD form")]
pub struct BadDate(pub String);

/// Parses `YYYY-MM-DD` into a day number.
pub fn parse_day(raw: &str) -> Result<Day, BadDate> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(raw.trim(), &format)
        .map(|d| d.to_julian_day() - UNIX_EPOCH_JULIAN_DAY)
        .map_err(|_| BadDate(raw.to_owned()))
}

#[cfg(test)]
mod day_tests {
    use super::*;

    #[test]
    fn days_and_dates_convert_both_ways() {
        assert_eq!(format_day(0), "1970-01-01");
        assert_eq!(parse_day("2026-11-26"), Ok(day_of(1_795_651_200)));
        assert_eq!(format_day(parse_day("2024-02-29").unwrap()), "2024-02-29");
        assert_eq!(day_of(-1), -1);
        assert!(parse_day("2026-13-01").is_err());
        assert!(parse_day("tomorrow").is_err());
    }
}

/// A number of days an admin grants (a renewal, a new user's validity): 1 to 36500.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Days(u32);

impl Days {
    /// A hundred years: beyond that a date is a typo, not a plan.
    pub const MAX: u32 = 36_500;

    pub fn new(n: u32) -> Result<Self, DomainError> {
        if (1..=Self::MAX).contains(&n) { Ok(Self(n)) } else { Err(DomainError::BadDays) }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// The day `self` days after `day`.
    pub fn after(self, day: Day) -> Day {
        day + self.0 as Day
    }
}

#[cfg(test)]
mod days_tests {
    use super::*;

    #[test]
    fn days_are_one_to_a_hundred_years() {
        assert_eq!(Days::new(0), Err(DomainError::BadDays));
        assert_eq!(Days::new(36_501), Err(DomainError::BadDays));
        assert_eq!(Days::new(1).unwrap().after(10), 11);
        assert_eq!(Days::new(36_500).unwrap().get(), 36_500);
        assert_eq!(DomainError::BadDays.to_string(), "days must be between 1 and 36500");
    }
}

/// Where a user's status settles given the facts: manual states stay until an admin acts;
/// otherwise expiry beats quota, and a user with neither problem is active again.
pub fn settle_status(current: UserStatus, expired: bool, over_quota: bool) -> UserStatus {
    if current.is_manual() {
        current
    } else if expired {
        UserStatus::Expired
    } else if over_quota {
        UserStatus::Exceeded
    } else {
        UserStatus::Active
    }
}

#[cfg(test)]
mod status_tests {
    use super::UserStatus::*;
    use super::*;

    #[test]
    fn automatic_states_follow_the_facts_and_manual_states_stay() {
        assert_eq!(settle_status(Active, true, true), Expired);
        assert_eq!(settle_status(Active, false, true), Exceeded);
        assert_eq!(settle_status(Expired, false, false), Active);
        assert_eq!(settle_status(Exceeded, true, false), Expired);
        assert_eq!(settle_status(Exceeded, false, false), Active);
        assert_eq!(settle_status(Paused, true, true), Paused);
        assert_eq!(settle_status(Fused, false, false), Fused);
    }
}
