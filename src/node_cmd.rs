//! `wss-panel node ...`: on the panel's host, enrolment tokens, the node list and revoke (one
//! admin API call each, like `user ...`); on a new node's host, `node enrol`, which trades a
//! token for the node's own secret over TLS pinned to the fingerprint inside the token and
//! writes the node's config.json (`install/install.sh --node` runs it).

use crate::client::{ClientError, PanelClient, path_segment};
use crate::pinned_tls::Fingerprint;
use crate::web::nodes::{DEFAULT_TOKEN_SECS, parse_token};
use clap::Subcommand;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum NodeCmd {
    /// Make a one-time enrolment token for a new node (run on the panel's host).
    Token {
        /// The node's name (default: node-XXXXXX).
        #[arg(long)]
        name: Option<String>,
        /// How long the token stays valid: 90s, 30m, 1h, 2d (default 1h, at most 7d).
        #[arg(long, value_parser = parse_duration)]
        expires: Option<u64>,
    },
    /// List the nodes the panel knows.
    List,
    /// Revoke a node: its secret stops working and its connection closes.
    Revoke { name: String },
    /// Give a node a display name (the node keeps its enrolled name; its own name clears it).
    Rename { name: String, display_name: String },
    /// On a new node: exchange a token for this node's secret and write its config.json.
    Enrol {
        /// The panel's https:// URL as this host reaches it.
        #[arg(long)]
        panel: String,
        #[arg(long)]
        token: String,
    },
}

/// `90s`, `30m`, `1h`, `2d` or plain seconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let n: u64 = digits.parse().map_err(|_| format!("'{text}' is not a duration such as 30m or 1h"))?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(format!("'{text}': the unit must be s, m, h or d")),
    };
    n.checked_mul(scale).ok_or_else(|| format!("'{text}' is too long"))
}

/// The admin-side subcommands (everything but `enrol`).
pub fn run_admin(client: &PanelClient, cmd: NodeCmd, as_json: bool) -> Result<(), ClientError> {
    let answer = match cmd {
        NodeCmd::Token { name, expires } => {
            let body = json!({ "name": name, "expires_secs": expires.unwrap_or(DEFAULT_TOKEN_SECS) });
            let answer = client.call("POST", "/api/nodes/tokens", Some(&body))?;
            if !as_json {
                println!(
                    "token for node {}: {}",
                    answer["name"].as_str().unwrap_or(""),
                    answer["token"].as_str().unwrap_or("")
                );
                println!("on the node: install/install.sh --node --panel https://PANEL:PORT --token TOKEN");
                return Ok(());
            }
            answer
        }
        NodeCmd::List => client.call("GET", "/api/nodes", None)?,
        NodeCmd::Revoke { name } => {
            client.call("POST", &format!("/api/nodes/{}/revoke", path_segment(&name)), None)?
        }
        NodeCmd::Rename { name, display_name } => {
            let body = json!({ "name": display_name });
            client.call("PUT", &format!("/api/nodes/{}", path_segment(&name)), Some(&body))?
        }
        NodeCmd::Enrol { .. } => return Err(ClientError::Usage("enrol runs on the node".into())),
    };
    if as_json {
        println!("{answer}");
    } else if let Some(nodes) = answer["nodes"].as_array() {
        for n in nodes {
            let connected = if n["connected"] == true { "connected" } else { "-" };
            let today =
                n["today_up_bytes"].as_u64().unwrap_or(0) + n["today_down_bytes"].as_u64().unwrap_or(0);
            println!(
                "{:<24} {:<9} {:<10} {:<16} tunnels={} today_bytes={} {}",
                n["name"].as_str().unwrap_or(""),
                n["state"].as_str().unwrap_or(""),
                connected,
                n["address"].as_str().unwrap_or(""),
                n["tunnels"].as_u64().unwrap_or(0),
                today,
                n["label"].as_str().map(|l| format!("({l})")).unwrap_or_default()
            );
        }
    } else if let Some(display) = answer["display_name"].as_str() {
        println!("{} is shown as {display}", answer["name"].as_str().unwrap_or(""));
    } else {
        println!("revoked {}", answer["name"].as_str().unwrap_or(""));
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    #[error("the token is not a wss-panel node token (wssn1.NAME.RANDOM.FINGERPRINT)")]
    BadToken,
    #[error("--panel must be the panel's https:// URL, not '{0}'")]
    NotHttps(String),
    #[error("cannot reach the panel at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("the panel refused the token (HTTP {0}): used, expired, revoked or mistyped; make a new one")]
    Refused(u16),
    #[error("the panel's answer is not an enrolment: {0}")]
    BadAnswer(String),
    #[error("{path}: {detail}")]
    Config { path: String, detail: String },
}

/// The checks `enrol` makes before it touches the network (`install.sh --node` runs them
/// before it changes anything): the panel URL without its trailing `/`, and the pin.
pub fn check_args<'a>(panel: &'a str, token: &str) -> Result<(&'a str, Fingerprint), EnrolError> {
    let (_, pin) = parse_token(token).ok_or(EnrolError::BadToken)?;
    let panel = panel.trim().trim_end_matches('/');
    let host = panel.strip_prefix("https://").ok_or_else(|| EnrolError::NotHttps(panel.into()))?;
    // A host (or [v6]) with an optional port, nothing that could smuggle a path or credentials.
    let host_ok = host.len() <= 260
        && host.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '[')
        && host.chars().all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c));
    if !host_ok {
        return Err(EnrolError::NotHttps(panel.into()));
    }
    Ok((panel, pin))
}

/// Trades the token for this node's secret and merges the node keys into `config_path`
/// (created if missing; other keys kept). Answers the node's name.
pub fn enrol(config_path: &Path, panel: &str, token: &str) -> Result<String, EnrolError> {
    let (panel, pin) = check_args(panel, token)?;
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build();
    let agent = crate::pinned_tls::ureq_agent(pin, config);
    let url = format!("{panel}/api/nodes/enrol");
    let mut response = agent
        .post(&url)
        .header("Authorization", &format!("Bearer {}", token.trim()))
        .send_empty()
        .map_err(|e| EnrolError::Unreachable { url: url.clone(), detail: e.to_string() })?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(EnrolError::Refused(status));
    }
    let answer: Value = response.body_mut().read_json().map_err(|e| EnrolError::BadAnswer(e.to_string()))?;
    let (Some(name), Some(secret)) = (answer["name"].as_str(), answer["node_secret"].as_str()) else {
        return Err(EnrolError::BadAnswer(answer.to_string()));
    };
    write_config(config_path, panel, name, secret, &crate::pinned_tls::fingerprint_hex(&pin))?;
    Ok(name.to_owned())
}

fn write_config(path: &Path, panel: &str, name: &str, secret: &str, pin: &str) -> Result<(), EnrolError> {
    let fail = |detail: String| EnrolError::Config { path: path.display().to_string(), detail };
    let mut config = match crate::secure_files::read_nofollow(path).map_err(|e| fail(e.to_string()))? {
        Some(text) => serde_json::from_str::<Value>(&text).map_err(|e| fail(e.to_string()))?,
        None => json!({}),
    };
    let Some(keys) = config.as_object_mut() else { return Err(fail("not a JSON object".into())) };
    keys.insert("panel_url".into(), json!(panel));
    keys.insert("node_name".into(), json!(name));
    keys.insert("node_secret".into(), json!(secret));
    keys.insert("panel_cert_sha256".into(), json!(pin));
    // The proxy on a node never sends it; the config just needs one of its own.
    keys.entry("internal_api_secret").or_insert_with(|| json!(crate::secure_files::random_hex(32)));
    let text = serde_json::to_string_pretty(&config).map_err(|e| fail(e.to_string()))?;
    crate::secure_files::replace_file(path, text.as_bytes()).map_err(|e| fail(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::{EnrolError, check_args, parse_duration};

    #[test]
    fn durations_read_like_an_operator_writes_them() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("30m"), Ok(1800));
        assert_eq!(parse_duration("1h"), Ok(3600));
        assert_eq!(parse_duration("2d"), Ok(172_800));
        assert_eq!(parse_duration("45"), Ok(45));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn enrol_arguments_are_checked_before_any_connection() {
        let token = format!("wssn1.fra-1.{}.{}", "ab".repeat(16), "cd".repeat(32));
        let (panel, pin) = check_args("https://panel.example.net:54321/", &token).unwrap();
        assert_eq!((panel, pin), ("https://panel.example.net:54321", [0xcd; 32]));
        assert!(check_args("https://[2001:db8::1]:54321", &token).is_ok());
        for bad in
            ["http://panel:54321", "https://", "https://user@panel", "https://panel/x?y", "panel:54321"]
        {
            assert!(matches!(check_args(bad, &token), Err(EnrolError::NotHttps(_))), "{bad}");
        }
        for bad in ["", "wssn1.fra-1.zz.cd", "nope", &token[..token.len() - 2]] {
            assert!(matches!(check_args("https://p:1", bad), Err(EnrolError::BadToken)), "{bad}");
        }
    }
}
