//! A built-in, badvpn-compatible UDPGW: tunnel apps (HTTP Injector, HTTP Custom,
//! NapsternetV) open an SSH `direct-tcpip` channel to `127.0.0.1:udpgw_port` and carry UDP
//! (DNS, VoIP, games) over it as length-prefixed frames.
//!
//! [`codec`] is the pure wire format.

pub mod codec;
