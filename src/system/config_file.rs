//! The installed config.json, rewritten by root for `set-ports` (the panel's `/api/ports`).
//! `/etc/wss-panel` is root's, so the panel cannot write its own listen ports: it asks the
//! helper, which takes no path from the panel (the file is fixed), insists that the file and
//! its directory are root's alone (an install from before root owned them is refused: re-run
//! install.sh), changes only the three port keys, validates the result exactly as at start,
//! and replaces the file without following links.

use super::command::ListenPorts;
use super::error::HelperError;
use crate::config::RawConfig;
use crate::secure_files::{check_root_only, read_nofollow, replace_file};
use serde_json::Value;
use std::path::Path;

/// The only file `set-ports` writes.
pub const INSTALLED_CONFIG: &str = "/etc/wss-panel/config.json";

pub fn set_ports(path: &Path, ports: ListenPorts) -> Result<String, HelperError> {
    let refused = |e: std::io::Error| HelperError::Refused(format!("{e}; re-run install.sh"));
    check_root_only(path.parent().unwrap_or(Path::new("/")), true).map_err(refused)?;
    check_root_only(path, false).map_err(refused)?;
    let text = read_nofollow(path)
        .map_err(refused)?
        .ok_or_else(|| HelperError::Refused(format!("{} does not exist", path.display())))?;
    let Ok(Value::Object(mut raw)) = serde_json::from_str::<Value>(&text) else {
        return Err(HelperError::Refused(format!("{} is not a JSON object", path.display())));
    };
    for (key, port) in
        [("panel_port", ports.panel), ("wss_http_port", ports.wss_http), ("wss_tls_port", ports.wss_tls)]
    {
        raw.insert(key.into(), port.into());
    }
    let text = serde_json::to_string_pretty(&raw).map_err(|e| HelperError::State(e.to_string()))?;
    let parsed: RawConfig = serde_json::from_str(&text).map_err(|e| HelperError::Refused(e.to_string()))?;
    parsed.validate(path).map_err(|e| HelperError::Refused(e.to_string()))?;
    replace_file(path, text.as_bytes()).map_err(|e| HelperError::State(e.to_string()))?;
    Ok(String::new())
}
