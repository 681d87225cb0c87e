//! The one integration-test binary: real processes, real sockets on 127.0.0.1, real redb
//! files in temp dirs.

mod api;
mod cli;
mod control;
mod helpers;
mod privileged;
mod proxy;
mod registry;
mod store;
mod ui_api;
mod ui_browser;
mod ui_live;
mod ui_security;
mod ui_sessions;
