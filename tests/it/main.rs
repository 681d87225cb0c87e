//! The one integration-test binary: real processes, real sockets on 127.0.0.1, real redb
//! files in temp dirs.

mod account_ready;
mod api;
mod audit_retention;
mod backup;
mod caps;
mod cli;
mod control;
mod e2e;
mod helpers;
mod import_original;
mod install;
mod layout;
mod panel_loopback;
mod panel_stop;
pub mod privileged;
mod proxy;
mod proxy_guard;
mod registry;
mod store;
mod systemd;
mod tunnel_customer;
mod udpgw;
mod ui_api;
mod ui_backup;
mod ui_browser;
mod ui_live;
mod ui_login_flood;
mod ui_security;
mod ui_sessions;
mod up;
