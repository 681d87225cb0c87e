//! `wss-panel user ...`: scripting the panel from a shell. Each subcommand is one API call
//! through `client::PanelClient`; `--json` prints the API's answer as is. Sizes in and out
//! in human units (`size`).

pub mod reset;
pub mod size;

use crate::client::{ClientError, PanelClient, path_segment};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::io::BufRead;

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Create a user (password from stdin with --password-stdin, else prompted).
    Add {
        name: String,
        #[command(flatten)]
        limits: LimitArgs,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List {
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        search: Option<String>,
    },
    /// Show one user.
    Show {
        name: String,
    },
    /// Change a user's limits.
    Set {
        name: String,
        #[command(flatten)]
        limits: LimitArgs,
        /// Remove the expiry date.
        #[arg(long, conflicts_with_all = ["days", "expires"])]
        no_expiry: bool,
    },
    /// Set a new password.
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    Pause {
        name: String,
    },
    Resume {
        name: String,
    },
    /// Extend expiry by N days (from today if already expired).
    Renew {
        name: String,
        #[arg(long)]
        days: u32,
    },
    ResetTraffic {
        name: String,
    },
    Delete {
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Quota in bytes or with a unit: 500M, 1.5G, 200K (binary units; 0 = unlimited).
    #[arg(long, conflicts_with = "quota_gb")]
    quota: Option<String>,
    #[arg(long)]
    quota_gb: Option<f64>,
    /// Valid for N days from today.
    #[arg(long, conflicts_with = "expires")]
    days: Option<u32>,
    /// Last day is the day before this date (YYYY-MM-DD).
    #[arg(long)]
    expires: Option<String>,
    #[arg(long)]
    rate_kbps: Option<u32>,
    #[arg(long)]
    max_connections: Option<u32>,
    #[arg(long)]
    require_auth_header: Option<bool>,
    #[arg(long)]
    allow_shell: Option<bool>,
    #[arg(long)]
    note: Option<String>,
    /// When the quota starts over (00:00 UTC): none, daily, weekly:N (1=Mon..7=Sun),
    /// monthly:N (1..28). All-time totals and the history stay.
    #[arg(long)]
    reset: Option<String>,
    /// Valid for N days from the first tunnel (the expiry stays empty until then).
    #[arg(long, conflicts_with_all = ["days", "expires"])]
    days_from_first_use: Option<u32>,
}

impl LimitArgs {
    /// The API's `LimitsInput`; a bad size is refused before anything is sent.
    fn to_json(&self) -> Result<serde_json::Map<String, Value>, ClientError> {
        let quota_bytes = match &self.quota {
            Some(raw) => Some(size::parse(raw).map_err(|e| ClientError::Data(format!("--quota: {e}")))?),
            None => None,
        };
        let reset = match &self.reset {
            Some(raw) => Some(reset::parse(raw).map_err(|e| ClientError::Data(format!("--reset: {e}")))?),
            None => None,
        };
        let mut m = serde_json::Map::new();
        let mut put = |k: &str, v: Value| {
            if !v.is_null() {
                m.insert(k.to_owned(), v);
            }
        };
        put("quota_bytes", json!(quota_bytes));
        put("quota_gb", json!(self.quota_gb));
        put("days", json!(self.days));
        put("expires_on", json!(self.expires));
        put("rate_kbps", json!(self.rate_kbps));
        put("max_connections", json!(self.max_connections));
        put("require_auth_header", json!(self.require_auth_header));
        put("allow_shell", json!(self.allow_shell));
        put("note", json!(self.note));
        put("quota_reset", json!(reset.map(|(rule, _)| rule.as_str())));
        put("quota_reset_day", json!(reset.map(|(_, day)| day)));
        put("expire_after_first_use_days", json!(self.days_from_first_use));
        Ok(m)
    }
}

/// Runs one subcommand and prints its result.
pub fn run(client: &PanelClient, cmd: UserCmd, as_json: bool) -> Result<(), ClientError> {
    let user_path = |name: &str| format!("/api/users/{}", path_segment(name));
    let (answer, is_list) = match cmd {
        UserCmd::Add { name, limits, password_stdin } => {
            let mut body = limits.to_json()?;
            body.insert("username".into(), json!(name));
            body.insert("password".into(), json!(read_password(password_stdin)?));
            (client.call("POST", "/api/users", Some(&Value::Object(body)))?, false)
        }
        UserCmd::List { status, search } => {
            let mut query = Vec::new();
            if let Some(s) = status {
                query.push(format!("status={}", path_segment(&s)));
            }
            if let Some(q) = search {
                query.push(format!("q={}", path_segment(&q)));
            }
            (client.call("GET", &format!("/api/users?{}", query.join("&")), None)?, true)
        }
        UserCmd::Show { name } => (client.call("GET", &user_path(&name), None)?, false),
        UserCmd::Set { name, limits, no_expiry } => {
            let mut body = limits.to_json()?;
            if no_expiry {
                body.insert("expires_on".into(), Value::Null);
            }
            if body.is_empty() {
                return Err(ClientError::Usage("nothing to change: give at least one option".into()));
            }
            (client.call("PATCH", &user_path(&name), Some(&Value::Object(body)))?, false)
        }
        UserCmd::Passwd { name, password_stdin } => {
            let body = json!({ "password": read_password(password_stdin)? });
            (client.call("POST", &format!("{}/password", user_path(&name)), Some(&body))?, false)
        }
        UserCmd::Pause { name } => {
            (client.call("POST", &format!("{}/pause", user_path(&name)), None)?, false)
        }
        UserCmd::Resume { name } => {
            (client.call("POST", &format!("{}/resume", user_path(&name)), None)?, false)
        }
        UserCmd::Renew { name, days } => {
            let body = json!({ "days": days });
            (client.call("POST", &format!("{}/renew", user_path(&name)), Some(&body))?, false)
        }
        UserCmd::ResetTraffic { name } => {
            (client.call("POST", &format!("{}/reset-traffic", user_path(&name)), None)?, false)
        }
        UserCmd::Delete { name } => (client.call("DELETE", &user_path(&name), None)?, false),
    };
    if as_json {
        println!("{}", serde_json::to_string_pretty(&answer).unwrap_or_default());
    } else if is_list {
        print_table(&answer);
    } else {
        print_user(&answer);
    }
    Ok(())
}

/// First line of stdin, or a hidden prompt on a terminal.
fn read_password(from_stdin: bool) -> Result<String, ClientError> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| ClientError::Usage(format!("cannot read the password from stdin: {e}")))?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    rpassword::prompt_password("Password: ").map_err(|e| {
        ClientError::Usage(format!("no terminal to ask for a password ({e}); use --password-stdin"))
    })
}

fn human_bytes(v: &Value) -> String {
    size::human(v.as_u64().unwrap_or(0))
}

fn print_user(u: &Value) {
    let quota = match u["quota_bytes"].as_u64() {
        Some(0) | None => "unlimited".to_owned(),
        Some(_) => human_bytes(&u["quota_bytes"]),
    };
    println!("user:            {}", u["username"].as_str().unwrap_or(""));
    println!("status:          {}", u["status"].as_str().unwrap_or(""));
    println!("expires on:      {}", u["expires_on"].as_str().unwrap_or("never"));
    println!("used / quota:    {} / {quota}", human_bytes(&u["usage_period_bytes"]));
    println!("used all time:   {}", human_bytes(&u["used_bytes"]));
    let reset = u["quota_reset"].as_str().unwrap_or("none");
    match u["quota_reset_day"].as_u64() {
        Some(day) if day > 0 => println!("quota reset:     {reset}:{day}"),
        _ => println!("quota reset:     {reset}"),
    }
    if let Some(n) = u["expire_after_first_use_days"].as_u64() {
        println!("first use plan:  {n} days (first use: {})", u["first_used_at"]);
    }
    println!("rate (KiB/s):    {}", u["rate_kbps"]);
    println!("max connections: {}", u["max_connections"]);
    println!("auth header:     {}", u["require_auth_header"]);
    println!("allow shell:     {}", u["allow_shell"]);
}

fn print_table(list: &Value) {
    println!("{:<32} {:<9} {:<11} {:>12} {:>8} {:>5}", "USER", "STATUS", "EXPIRES", "USED", "KiB/s", "CONN");
    for u in list.as_array().into_iter().flatten() {
        println!(
            "{:<32} {:<9} {:<11} {:>12} {:>8} {:>5}",
            u["username"].as_str().unwrap_or(""),
            u["status"].as_str().unwrap_or(""),
            u["expires_on"].as_str().unwrap_or("never"),
            human_bytes(&u["used_bytes"]),
            u["rate_kbps"].to_string(),
            u["max_connections"].to_string(),
        );
    }
}
