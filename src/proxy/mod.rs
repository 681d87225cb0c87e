//! The data plane: a tokio service that turns HTTP-upgrade "payloads" into SSH tunnels.
//! Never imports actix; talks to the panel only through [`crate::wire`] types.
