//! The TLS certificate's expiry for the dashboard (`cert: { days_left, not_after }` in the
//! system status): the `tls_cert` the proxy's WSS-TLS door and the panel serve. The file is
//! parsed again at most once a minute, or at once when it changes (size or modification
//! time), so a renewed certificate clears the alert without a restart.

pub use crate::host_probe::{days_left, not_after};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// How long a parsed expiry is trusted while the file looks unchanged.
const RECHECK: Duration = Duration::from_secs(60);

struct Seen {
    at: Instant,
    stamp: Option<(SystemTime, u64)>,
    not_after: Option<i64>,
}

/// The certificate file and what was last read from it; clones share the cache.
#[derive(Clone)]
pub struct CertWatch {
    path: PathBuf,
    seen: Arc<Mutex<Option<Seen>>>,
}

impl CertWatch {
    pub fn new(path: PathBuf) -> Self {
        CertWatch { path, seen: Arc::new(Mutex::new(None)) }
    }

    /// `{ days_left, not_after }` at `now` (unix seconds), or `null` when the file is missing
    /// or holds no certificate.
    pub fn status(&self, now: i64) -> Value {
        let stamp = std::fs::metadata(&self.path)
            .ok()
            .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let fresh = seen.as_ref().is_some_and(|s| s.stamp == stamp && s.at.elapsed() < RECHECK);
        if !fresh {
            let not_after = std::fs::read(&self.path).ok().and_then(|pem| not_after(&pem).ok());
            // Once per change of state, not every minute.
            let was_readable = seen.as_ref().is_none_or(|s| s.not_after.is_some());
            if not_after.is_none() && was_readable {
                tracing::warn!(event = "CERT_UNREADABLE", path = %self.path.display());
            }
            *seen = Some(Seen { at: Instant::now(), stamp, not_after });
        }
        match seen.as_ref().and_then(|s| s.not_after) {
            Some(t) => json!({ "days_left": days_left(t, now), "not_after": t }),
            None => Value::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem_expiring_at(unix: i64) -> String {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.not_after = time::OffsetDateTime::from_unix_timestamp(unix).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn not_after_is_read_from_the_pem_and_days_round_down() {
        let at = 1_900_000_000;
        assert_eq!(not_after(pem_expiring_at(at).as_bytes()), Ok(at));
        assert!(not_after(b"not a certificate").is_err());
        assert_eq!(days_left(at, at - 5 * 86_400), 5);
        assert_eq!(days_left(at, at - 5 * 86_400 + 1), 4);
        assert_eq!(days_left(at, at + 1), -1);
    }

    #[test]
    fn a_replaced_file_is_read_again_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cert.pem");
        std::fs::write(&path, pem_expiring_at(2_000_000_000)).unwrap();
        let watch = CertWatch::new(path.clone());
        assert_eq!(watch.status(2_000_000_000 - 86_400)["days_left"], 1);
        // A renewal: another size, so the change is seen even within the same second.
        std::fs::write(&path, format!("{}\n", pem_expiring_at(2_100_000_000))).unwrap();
        assert_eq!(watch.status(2_000_000_000)["not_after"], 2_100_000_000);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(watch.status(0), Value::Null);
    }
}
