//! The one integration-test binary: real processes, real sockets on 127.0.0.1, real redb
//! files in temp dirs.

mod api;
mod caps;
mod cli;
mod control;
mod e2e;
mod helpers;
mod install;
pub mod privileged;
mod proxy;
mod registry;
mod store;
mod tunnel_customer;
mod udpgw;
mod ui_api;
mod ui_browser;
mod ui_live;
mod ui_security;
mod ui_sessions;
mod up;
