//! The node secrets the panel trusts right now, in memory: name → SHA-256 of its secret.
//! Loaded from the `nodes` table at start and changed together with it (enrol, revoke), so
//! that checking a proxy's credentials on every `/internal/auth` call and `/ipc` frame
//! costs a map lookup, not a store transaction.

use crate::store::nodes;
use crate::store::tables::NODES;
use crate::store::{Store, StoreError};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::RwLock;

/// SHA-256 (hex) of a token or secret, as the store keeps it.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Is `session_id` (`name-xxxxxxxx`, see `proxy::node_id`) a session of node `name`?
pub fn session_of(session_id: &str, name: &str) -> bool {
    session_id.strip_prefix(name).and_then(|r| r.strip_prefix('-')).is_some_and(|s| !s.contains('-'))
}

#[derive(Default)]
pub struct NodeKeys {
    trusted: RwLock<HashMap<String, String>>,
}

impl NodeKeys {
    pub fn load(store: &Store) -> Result<NodeKeys, StoreError> {
        let all = store.read(|txn| nodes::all(&txn.open_table(NODES)?))?;
        let trusted = all
            .into_iter()
            .filter(|(_, n)| n.is_trusted())
            .filter_map(|(name, n)| n.secret_sha256.map(|h| (name, h)))
            .collect();
        Ok(NodeKeys { trusted: RwLock::new(trusted) })
    }

    /// The hash of `secret` if it is the trusted secret of node `name`.
    pub fn check(&self, name: &str, secret: &str) -> Option<String> {
        let given = sha256_hex(secret);
        let trusted = self.trusted.read().unwrap_or_else(|e| e.into_inner());
        let expected = trusted.get(name)?;
        super::admin_auth::secrets_match(given.as_bytes(), expected.as_bytes()).then_some(given)
    }

    /// Is `hash` still node `name`'s trusted secret (not revoked, not re-enrolled)?
    pub fn still_trusted(&self, name: &str, hash: &str) -> bool {
        let trusted = self.trusted.read().unwrap_or_else(|e| e.into_inner());
        trusted.get(name).is_some_and(|h| h == hash)
    }

    pub fn trust(&self, name: &str, hash: String) {
        self.trusted.write().unwrap_or_else(|e| e.into_inner()).insert(name.to_owned(), hash);
    }

    pub fn forget(&self, name: &str) {
        self.trusted.write().unwrap_or_else(|e| e.into_inner()).remove(name);
    }
}
