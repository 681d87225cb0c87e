//! The built-in UDPGW (issue 11).
//!
//! - [`inproc`]: the server's rules over real sockets with a fixed user: echo on 127.0.0.1
//!   and ::1, DNS through the configured resolv.conf, REBIND, KEEPALIVE, LRU eviction, caps,
//!   oversize and garbage frames, kicks.
//! - [`e2e`]: the real path: OpenSSH through the WSS proxy, `ssh -W` to the UDPGW, the peer
//!   attributed to the tunnel account by its uid; other local uids refused; kicks.

pub mod app;
pub mod e2e;
mod inproc;
