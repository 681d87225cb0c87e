//! Reading the original panel's `wss_panel.db` (SQLite, read-only): the schema check and
//! the raw rows, every column as the original may have left it (NULLs, text where a number
//! belongs, legacy columns). Nothing here decides what a row means: see `plan`.

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};
use std::collections::BTreeSet;
use std::path::Path;

/// The columns of each table the original's `CREATE TABLE` always made. A file whose tables
/// lack any of them is not the original's database.
const REQUIRED: [(&str, &[&str]); 4] = [
    ("users", &["username", "created_at", "status", "expiration_date", "quota_gb", "usage_gb", "rate_kbps"]),
    ("traffic_history", &["username", "date", "usage_gb"]),
    ("ip_bans", &["ip", "reason", "added_by", "timestamp"]),
    ("global_settings", &["key", "value"]),
];
/// Columns the original added with `ALTER TABLE ... ADD COLUMN` on start: a database from
/// before some of them still imports, with the original's defaults.
const ADDED_LATER: [&str; 9] = [
    "password_hash",
    "max_connections",
    "require_auth_header",
    "realtime_speed_up",
    "realtime_speed_down",
    "active_connections",
    "status_text",
    "allow_shell",
    "fuse_threshold_kbps",
];

#[derive(Debug, thiserror::Error)]
pub enum OriginalError {
    #[error("cannot open {path} as SQLite: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error(
        "{path} is not the original panel's database ({why}); nothing was imported. \
         Expected the tables users, traffic_history, ip_bans and global_settings of wss_panel.db"
    )]
    ForeignSchema { path: String, why: String },
    #[error("reading {path}: {source}")]
    Read { path: String, source: rusqlite::Error },
}

/// One `users` row, columns as stored.
#[derive(Debug, Clone, Default)]
pub struct UserRow {
    pub username: Option<String>,
    pub password_hash: Option<String>,
    pub created_at: Option<String>,
    pub status: Option<String>,
    pub expiration_date: Option<String>,
    pub quota_gb: Option<f64>,
    pub usage_gb: Option<f64>,
    pub rate_kbps: Option<f64>,
    pub max_connections: Option<f64>,
    pub require_auth_header: Option<f64>,
    pub allow_shell: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub username: Option<String>,
    pub date: Option<String>,
    pub usage_gb: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct BanRow {
    pub ip: Option<String>,
    pub reason: Option<String>,
    pub added_by: Option<String>,
    pub timestamp: Option<String>,
}

/// Everything the import reads from the database.
#[derive(Debug, Clone, Default)]
pub struct OriginalDb {
    pub users: Vec<UserRow>,
    pub history: Vec<HistoryRow>,
    pub bans: Vec<BanRow>,
    /// `global_settings.fuse_threshold_kbps` as stored.
    pub fuse_threshold: Option<String>,
    /// Tables the original never had (other forks' features), reported as not imported.
    pub other_tables: Vec<String>,
}

/// Opens read-only (the original's `-wal` is read, never checkpointed into its file).
pub fn read(path: &Path) -> Result<OriginalDb, OriginalError> {
    let shown = path.display().to_string();
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|source| OriginalError::Open { path: shown.clone(), source })?;
    let read_err = |source| OriginalError::Read { path: shown.clone(), source };
    let tables = table_names(&conn).map_err(|source| match source {
        // "file is not a database" comes at the first query, not at open.
        rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::NotADatabase => {
            OriginalError::ForeignSchema { path: shown.clone(), why: "not an SQLite file".into() }
        }
        other => OriginalError::Read { path: shown.clone(), source: other },
    })?;
    let mut users_columns = BTreeSet::new();
    for (table, required) in REQUIRED {
        if !tables.contains(table) {
            return Err(OriginalError::ForeignSchema { path: shown, why: format!("no table {table}") });
        }
        let columns = column_names(&conn, table).map_err(read_err)?;
        if let Some(missing) = required.iter().find(|c| !columns.contains(**c)) {
            return Err(OriginalError::ForeignSchema {
                path: shown,
                why: format!("table {table} has no column {missing}"),
            });
        }
        if table == "users" {
            users_columns = columns;
        }
    }
    let known: BTreeSet<&str> = REQUIRED.iter().map(|(t, _)| *t).chain(["sqlite_sequence"]).collect();
    let other_tables = tables.iter().filter(|t| !known.contains(t.as_str())).cloned().collect();
    Ok(OriginalDb {
        users: read_users(&conn, &users_columns).map_err(read_err)?,
        history: read_history(&conn).map_err(read_err)?,
        bans: read_bans(&conn).map_err(read_err)?,
        fuse_threshold: conn
            .query_row("SELECT value FROM global_settings WHERE key = 'fuse_threshold_kbps'", [], |r| {
                Ok(text(r.get(0)?))
            })
            .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })
            .map_err(read_err)?,
        other_tables,
    })
}

fn table_names(conn: &Connection) -> rusqlite::Result<BTreeSet<String>> {
    let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

fn column_names(conn: &Connection, table: &str) -> rusqlite::Result<BTreeSet<String>> {
    // `table` is one of the fixed names above, never input.
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    stmt.query_map([], |r| r.get(1))?.collect()
}

fn read_users(conn: &Connection, columns: &BTreeSet<String>) -> rusqlite::Result<Vec<UserRow>> {
    // A column added later and missing in this file reads as NULL (the original's default
    // applies in `plan`).
    let col = |name: &str| {
        if columns.contains(name) || !ADDED_LATER.contains(&name) {
            name.to_owned()
        } else {
            format!("NULL AS {name}")
        }
    };
    let sql = format!(
        "SELECT username, {}, created_at, status, expiration_date, quota_gb, usage_gb, rate_kbps, \
         {}, {}, {} FROM users ORDER BY username",
        col("password_hash"),
        col("max_connections"),
        col("require_auth_header"),
        col("allow_shell"),
    );
    let mut stmt = conn.prepare(&sql)?;
    stmt.query_map([], |r| {
        Ok(UserRow {
            username: text(r.get(0)?),
            password_hash: text(r.get(1)?),
            created_at: text(r.get(2)?),
            status: text(r.get(3)?),
            expiration_date: text(r.get(4)?),
            quota_gb: number(r.get(5)?),
            usage_gb: number(r.get(6)?),
            rate_kbps: number(r.get(7)?),
            max_connections: number(r.get(8)?),
            require_auth_header: number(r.get(9)?),
            allow_shell: number(r.get(10)?),
        })
    })?
    .collect()
}

fn read_history(conn: &Connection) -> rusqlite::Result<Vec<HistoryRow>> {
    let mut stmt = conn.prepare("SELECT username, date, usage_gb FROM traffic_history ORDER BY rowid")?;
    stmt.query_map([], |r| {
        Ok(HistoryRow { username: text(r.get(0)?), date: text(r.get(1)?), usage_gb: number(r.get(2)?) })
    })?
    .collect()
}

fn read_bans(conn: &Connection) -> rusqlite::Result<Vec<BanRow>> {
    let mut stmt = conn.prepare("SELECT ip, reason, added_by, timestamp FROM ip_bans ORDER BY rowid")?;
    stmt.query_map([], |r| {
        Ok(BanRow {
            ip: text(r.get(0)?),
            reason: text(r.get(1)?),
            added_by: text(r.get(2)?),
            timestamp: text(r.get(3)?),
        })
    })?
    .collect()
}

/// SQLite is dynamically typed: a TEXT column may hold a number and the other way round.
fn text(v: Value) -> Option<String> {
    match v {
        Value::Null | Value::Blob(_) => None,
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(f) => Some(f.to_string()),
        Value::Text(s) => Some(s),
    }
}

/// As JavaScript's `Number(...)` would read it; `None` for NULL and for text that is no number.
fn number(v: Value) -> Option<f64> {
    match v {
        Value::Null | Value::Blob(_) => None,
        Value::Integer(i) => Some(i as f64),
        Value::Real(f) => Some(f),
        Value::Text(s) => s.trim().parse().ok(),
    }
}
