//! `UserRegistry`: owns the users table and is the store's single writer for user changes.
//! Every command is one redb transaction that also appends its audit record. After the commit
//! it publishes what changed (`UserChanged`: before, after, cause) to its subscribers (the
//! `ChangeDispatcher`): that is the only way a change reaches the Linux account, the proxies
//! and the admin pages. Runs on a `SyncArbiter` thread because redb commits block; password
//! hashes arrive already computed. The actor and its commit-then-publish step are in
//! `registry`; how limits read in the audit log in `limits`; its messages by concern: `users` (the admin's commands and queries), `status`
//! (pause/resume, fuse, expiry, re-assertion), `traffic` (usage counted by the proxies, reset).

mod limits;
mod registry;
mod status;
#[cfg(test)]
mod tests;
mod traffic;
mod users;

pub use registry::{Origin, RegistryError, UserRegistry, UserResult};
pub use status::*;
pub use traffic::*;
pub use users::*;
