//! The panel's actors. Each owns its state; others reach it only by message.
//!
//! Who sends what:
//! - web handlers → `UserRegistry`: user commands (`CreateUser`, `UpdateUser`, `DeleteUser`,
//!   `SetUserStatus`, `RenewUser`, `ResetTraffic`, `SetPassword`) and queries (`GetUser`,
//!   `ListUsers`).
//!
//! Blocking work never runs on an actix event loop: the registry lives on a `SyncArbiter`
//! thread (it is the store's single writer), and bcrypt runs on the blocking pool before a
//! command is sent.

pub mod user_registry;
