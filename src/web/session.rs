//! Admin sessions: a random id in an `HttpOnly; SameSite=Strict` cookie, its SHA-256 in the
//! store. A new id at every login (no fixation), idle and absolute timeouts judged by a pure
//! function against a clock that tests can move, revocation by deleting the record.

use crate::domain::now_unix;
use crate::store::sessions::{self, AdminSession};
use crate::store::tables::ADMIN_SESSIONS;
use crate::store::{Store, StoreError};
use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub const COOKIE: &str = "wss_session";
/// Logged out after this long without an authenticated request.
pub const IDLE_TIMEOUT_SECS: i64 = 30 * 60;
/// Logged out this long after login, however active.
pub const ABSOLUTE_TIMEOUT_SECS: i64 = 12 * 3600;
/// `last_seen` is written at most this often, not on every request (each write is an fsync).
pub const TOUCH_EVERY_SECS: i64 = 60;
/// Test hook: a file holding seconds to add to the wall clock (see `Clock`).
pub const CLOCK_ENV: &str = "WSS_PANEL_TEST_CLOCK_FILE";

/// What a stored session is worth at `now`. Pure.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Valid { touch: bool },
    Expired,
}

pub fn judge(s: &AdminSession, now: i64) -> Verdict {
    if now - s.created_at >= ABSOLUTE_TIMEOUT_SECS || now - s.last_seen >= IDLE_TIMEOUT_SECS {
        Verdict::Expired
    } else {
        Verdict::Valid { touch: now - s.last_seen >= TOUCH_EVERY_SECS }
    }
}

/// The panel's notion of now. In production the wall clock; an integration test may point
/// `WSS_PANEL_TEST_CLOCK_FILE` at a file with an offset in seconds, to age sessions without
/// waiting 12 hours.
#[derive(Clone, Default)]
pub struct Clock {
    offset_file: Option<PathBuf>,
}

impl Clock {
    pub fn from_env() -> Clock {
        Clock { offset_file: std::env::var_os(CLOCK_ENV).map(PathBuf::from) }
    }

    pub fn now(&self) -> i64 {
        let offset = self
            .offset_file
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or(0);
        now_unix() + offset
    }
}

/// The session table and the clock. Every method blocks on the store: call it from
/// `web::block`.
#[derive(Clone)]
pub struct Sessions {
    pub store: Arc<Store>,
    pub clock: Clock,
    /// The newest `last_seen` of each session key, ahead of its (asynchronous) write.
    seen: Arc<Mutex<HashMap<String, i64>>>,
}

/// The store key of a session id.
pub fn key_of(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// The session id the request's cookie carries, if any.
pub fn cookie_id(req: &HttpRequest) -> Option<String> {
    req.cookie(COOKIE).map(|c| c.value().to_owned()).filter(|v| v.len() == 64)
}

impl Sessions {
    pub fn new(store: Arc<Store>, clock: Clock) -> Sessions {
        Sessions { store, clock, seen: Default::default() }
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A fresh session; returns its id (for the cookie only).
    pub fn create(&self, ip: &str) -> Result<String, StoreError> {
        let id = crate::secure_files::random_hex(32);
        let now = self.clock.now();
        let record = AdminSession { created_at: now, last_seen: now, ip: ip.to_owned() };
        self.store.write(|txn| {
            let mut table = txn.open_table(ADMIN_SESSIONS)?;
            sessions::prune(&mut table, |s| judge(s, now) == Verdict::Expired)?;
            sessions::put(&mut table, &key_of(&id), &record)
        })?;
        Ok(id)
    }

    /// Is the session valid? Reads on the caller's thread (a redb read is a snapshot lookup
    /// and never waits for a writer); the rare writes (deleting an expired session, touching
    /// a valid one once a minute, and only if `touch`: the live socket's re-checks are not
    /// admin activity) go to the blocking pool and are not waited for.
    pub fn check(&self, id: &str, touch: bool) -> Result<bool, StoreError> {
        let key = key_of(id);
        let now = self.clock.now();
        let found = self.store.read(|txn| sessions::get(&txn.open_table(ADMIN_SESSIONS)?, &key))?;
        let Some(mut record) = found else { return Ok(false) };
        if let Some(seen) = self.seen().get(&key) {
            record.last_seen = record.last_seen.max(*seen);
        }
        let (valid, write) = match judge(&record, now) {
            Verdict::Expired => (false, None),
            Verdict::Valid { touch: due } if due && touch => {
                record.last_seen = now;
                self.seen().insert(key.clone(), now);
                (true, Some(record))
            }
            Verdict::Valid { .. } => return Ok(true),
        };
        let store = self.store.clone();
        let write = move || {
            store.write(|txn| {
                let mut table = txn.open_table(ADMIN_SESSIONS)?;
                match &write {
                    // Writes may land out of order: last_seen only moves forward.
                    Some(r) => {
                        let stored = sessions::get(&table, &key)?;
                        match stored {
                            Some(old) if old.last_seen >= r.last_seen => Ok(()),
                            Some(_) => sessions::put(&mut table, &key, r),
                            None => Ok(()), // revoked meanwhile: stays revoked
                        }
                    }
                    None => table.remove(key.as_str()).map(|_| ()).map_err(StoreError::from),
                }
            })
        };
        actix_web::rt::spawn(async move {
            if let Ok(Err(e)) = actix_web::web::block(write).await {
                tracing::error!(event = "SESSION_WRITE_FAILED", error = %e);
            }
        });
        Ok(valid)
    }

    pub fn revoke(&self, id: &str) -> Result<(), StoreError> {
        self.seen().remove(&key_of(id));
        self.store.write(|txn| {
            txn.open_table(ADMIN_SESSIONS)?.remove(key_of(id).as_str())?;
            Ok(())
        })
    }

    pub fn revoke_all(&self) -> Result<u64, StoreError> {
        self.seen().clear();
        self.store.write(|txn| sessions::clear(&mut txn.open_table(ADMIN_SESSIONS)?))
    }
}

/// The session cookie. `Secure` whenever the request came over TLS.
pub fn cookie(id: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE, id.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// A cookie that deletes the session cookie in the browser.
pub fn removal(secure: bool) -> Cookie<'static> {
    let mut c = cookie("", secure);
    c.make_removal();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(created_at: i64, last_seen: i64) -> AdminSession {
        AdminSession { created_at, last_seen, ip: String::new() }
    }

    #[test]
    fn idle_and_absolute_timeouts_end_a_session() {
        assert_eq!(judge(&at(0, 0), 10), Verdict::Valid { touch: false });
        assert_eq!(judge(&at(0, 0), TOUCH_EVERY_SECS), Verdict::Valid { touch: true });
        assert_eq!(judge(&at(0, 0), IDLE_TIMEOUT_SECS - 1), Verdict::Valid { touch: true });
        assert_eq!(judge(&at(0, 0), IDLE_TIMEOUT_SECS), Verdict::Expired);
        let busy = at(0, ABSOLUTE_TIMEOUT_SECS - 5);
        assert_eq!(judge(&busy, ABSOLUTE_TIMEOUT_SECS - 1), Verdict::Valid { touch: false });
        assert_eq!(judge(&busy, ABSOLUTE_TIMEOUT_SECS), Verdict::Expired);
    }

    #[test]
    fn the_store_key_is_not_the_cookie_value() {
        let id = "a".repeat(64);
        assert_ne!(key_of(&id), id);
        assert_eq!(key_of(&id).len(), 64);
    }
}
