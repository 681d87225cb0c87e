//! The Nodes view's API: `GET /api/nodes` (one row per node name: its record, what its
//! latest `/ipc` session said, its live numbers and today's traffic), a node's traffic
//! history, and `PUT /api/nodes/{name}` (the admin's display name for it). The enrolment
//! side (tokens, enrol, revoke) is `web::nodes`.
//!
//! A row is keyed by the node's name: enrolled nodes have a record; a proxy connected with
//! the internal secret over loopback (this host's own) has none and is listed as `local`.

use super::AppState;
use super::admin_auth::Admin;
use super::audited;
use super::error::ApiError;
use super::user_actions::HISTORY_DAYS;
use crate::actors::node_hub::{ListNodeSessions, NodeSeen};
use crate::actors::stats_aggregator::{GetLiveView, LiveNode};
use crate::actors::user_registry::Origin;
use crate::domain::{Day, day_of, format_day, is_valid_username_shape, now_unix};
use crate::store::audit::{self, AuditRecord};
use crate::store::nodes::{self, NodeRecord};
use crate::store::tables::{AUDIT, NODE_LABELS, NODE_TRAFFIC, NODES};
use crate::store::traffic::{self, TrafficDay};
use crate::store::{Store, StoreError};
use crate::wire::{NodeHealth, node_name_of};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// What the store holds about every node: records, labels, today's traffic by name.
struct Stored {
    records: Vec<(String, NodeRecord)>,
    labels: HashMap<String, String>,
    today: HashMap<String, TrafficDay>,
}

fn read_stored(store: &Store, day: Day) -> Result<Stored, StoreError> {
    store.read(|txn| {
        let records = nodes::all(&txn.open_table(NODES)?)?;
        let labels: HashMap<_, _> = nodes::labels(&txn.open_table(NODE_LABELS)?)?.into_iter().collect();
        let traffic_t = txn.open_table(NODE_TRAFFIC)?;
        let mut today = HashMap::new();
        for (name, _) in &records {
            today.insert(name.clone(), traffic::range(&traffic_t, name, day, day)?[0].1);
        }
        Ok(Stored { records, labels, today })
    })
}

/// Today's traffic of the nodes that have no record (the local one).
fn read_today(store: &Store, names: Vec<String>, day: Day) -> Result<Vec<(String, TrafficDay)>, StoreError> {
    store.read(|txn| {
        let t = txn.open_table(NODE_TRAFFIC)?;
        names
            .into_iter()
            .map(|n| -> Result<_, StoreError> {
                let day = traffic::range(&t, &n, day, day)?[0].1;
                Ok((n, day))
            })
            .collect()
    })
}

fn record_state(n: &NodeRecord) -> &'static str {
    match (&n.secret_sha256, n.revoked_at) {
        (_, Some(_)) => "revoked",
        (Some(_), None) => "enrolled",
        (None, None) => "pending",
    }
}

/// A certificate with this many days left or fewer is a problem (the dashboard's alert
/// starts at the same point).
pub const CERT_WARN_DAYS: i64 = 14;

/// A node's own health report with the view's verdict: `problems` names what is wrong
/// (`sshd`, `udpgw` not listening; `cert` expiring or expired), `ok` when nothing is. Pure.
pub fn health_json(health: Option<&NodeHealth>) -> Value {
    let Some(h) = health else { return Value::Null };
    let mut problems = Vec::new();
    if h.sshd_listening == Some(false) {
        problems.push("sshd");
    }
    if h.udpgw_listening == Some(false) {
        problems.push("udpgw");
    }
    if h.cert_days_left.is_some_and(|d| d <= CERT_WARN_DAYS) {
        problems.push("cert");
    }
    json!({
        "ok": problems.is_empty(), "problems": problems,
        "sshd_port": h.sshd_port, "sshd_listening": h.sshd_listening,
        "udpgw_port": h.udpgw_port, "udpgw_listening": h.udpgw_listening,
        "cert_days_left": h.cert_days_left,
    })
}

/// The sessions of one node name: the latest one's facts, the connected ones' numbers summed.
fn session_json(sessions: &[(&String, &NodeSeen)], live: &BTreeMap<String, LiveNode>) -> Value {
    let latest = sessions.iter().max_by_key(|(_, s)| (s.connected, s.connected_since));
    let mut sum = LiveNode::default();
    for (id, _) in sessions.iter().filter(|(_, s)| s.connected) {
        if let Some(n) = live.get(*id) {
            sum.connections += n.connections;
            sum.users += n.users;
            sum.speed_up_kbps += n.speed_up_kbps;
            sum.speed_down_kbps += n.speed_down_kbps;
        }
    }
    let connected = sessions.iter().filter(|(_, s)| s.connected).count();
    let health = latest.filter(|(_, s)| s.connected).and_then(|(id, _)| live.get(*id)?.health.as_ref());
    json!({
        "connected": connected > 0, "sessions": connected,
        "session_address": latest.map(|(_, s)| s.session.address.clone()),
        "protocol": latest.map(|(_, s)| s.session.protocol),
        "release": latest.and_then(|(_, s)| s.session.release.clone()),
        "started_at": latest.and_then(|(_, s)| s.session.started_at),
        "connected_since": latest.filter(|(_, s)| s.connected).map(|(_, s)| s.connected_since),
        "last_seen": latest.filter(|(_, s)| !s.connected).map(|(_, s)| s.last_seen),
        "tunnels": sum.connections, "online_users": sum.users,
        "speed_up_kbps": sum.speed_up_kbps, "speed_down_kbps": sum.speed_down_kbps,
        "health": health_json(health),
    })
}

/// Every node the panel knows or sees, with what it is doing now.
pub async fn list(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let day = day_of(now_unix());
    let stored = audited::read(state.store.clone(), move |s| read_stored(s, day)).await?;
    let seen = state.hub.send(ListNodeSessions).await?;
    let live = state.aggregator.send(GetLiveView).await?.per_node;
    let mut by_name: BTreeMap<String, Vec<(&String, &NodeSeen)>> = BTreeMap::new();
    for (id, s) in &seen {
        by_name.entry(node_name_of(id).to_owned()).or_default().push((id, s));
    }
    let known: Vec<String> = stored.records.iter().map(|(n, _)| n.clone()).collect();
    let local: Vec<String> = by_name.keys().filter(|n| !known.contains(*n)).cloned().collect();
    let local_today = audited::read(state.store.clone(), move |s| read_today(s, local, day)).await?;
    let records = stored.records.iter().map(|(name, n)| (name.clone(), Some(n)));
    let rows = records.chain(local_today.iter().map(|(name, _)| (name.clone(), None)));
    let today: HashMap<&String, &TrafficDay> =
        stored.today.iter().chain(local_today.iter().map(|(n, t)| (n, t))).collect();
    let items: Vec<Value> = rows
        .map(|(name, record)| {
            let mut row = session_json(by_name.get(&name).map_or(&[][..], Vec::as_slice), &live);
            let t = today.get(&name).copied().copied().unwrap_or_default();
            let label = stored.labels.get(&name).cloned();
            let display_name = label.clone().unwrap_or_else(|| name.clone());
            let fields = json!({
                "name": name, "label": label, "display_name": display_name,
                "state": record.map_or("local", record_state),
                "created_at": record.map(|n| n.created_at), "enrolled_at": record.map(|n| n.enrolled_at),
                "revoked_at": record.and_then(|n| n.revoked_at),
                "token_expires_at": record.and_then(|n| n.token_sha256.as_ref().map(|_| n.token_expires_at)),
                "address": row["session_address"].as_str().map(str::to_owned)
                    .or(record.map(|n| n.enrolled_from.clone())),
                "today_up_bytes": t.up_bytes, "today_down_bytes": t.down_bytes,
            });
            for (k, v) in fields.as_object().into_iter().flatten() {
                row[k] = v.clone();
            }
            row
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "nodes": items, "now": now_unix() })))
}

/// The node's traffic per UTC day, the last `HISTORY_DAYS` days (zero where none).
pub async fn history(
    _: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    if !super::nodes::valid_node_name(&name) {
        return Err(ApiError::NotFound("no such node".into()));
    }
    let last = day_of(now_unix());
    let key = name.clone();
    let days = audited::read(state.store.clone(), move |s| {
        s.read(|txn| traffic::range(&txn.open_table(NODE_TRAFFIC)?, &key, last - HISTORY_DAYS + 1, last))
    })
    .await?;
    let items: Vec<_> = days
        .into_iter()
        .map(|(d, t)| json!({ "date": format_day(d), "up_bytes": t.up_bytes, "down_bytes": t.down_bytes }))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "name": name, "days": items })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameInput {
    pub name: String,
}

/// Gives node `name` a display name (its own name again clears it). The node keeps the
/// name it enrolled with: its config and credentials carry it.
pub async fn rename(
    Admin(by): Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<RenameInput>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let label = body.into_inner().name.trim().to_owned();
    if !is_valid_username_shape(&label) {
        return Err(ApiError::BadRequest(format!(
            "node display name {label:?} must be 1-32 lowercase letters, digits, '_' or '-', starting with a letter or '_'"
        )));
    }
    let seen = state.hub.send(ListNodeSessions).await?;
    let connected: Vec<String> = seen.iter().map(|(id, _)| node_name_of(id).to_owned()).collect();
    let (key, new, store) = (name.clone(), label.clone(), state.store.clone());
    let outcome = web::block(move || relabel(&store, by, &key, &new, &connected))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    outcome?;
    tracing::info!(event = "NODE_RENAMED", node = %name, label = %label);
    Ok(HttpResponse::Ok().json(json!({ "name": name, "display_name": label })))
}

/// In one transaction: the node must be known (a record, or a session seen now) and the
/// label must not be another node's name or label; then the label and an audit row.
fn relabel(
    store: &Arc<Store>,
    by: Origin,
    name: &str,
    label: &str,
    seen: &[String],
) -> Result<Result<(), ApiError>, StoreError> {
    store.write(|txn| {
        let records = nodes::all(&txn.open_table(NODES)?)?;
        let mut labels_t = txn.open_table(NODE_LABELS)?;
        let labels = nodes::labels(&labels_t)?;
        if !records.iter().any(|(n, _)| n == name) && !seen.iter().any(|n| n == name) {
            return Ok(Err(ApiError::NotFound("no such node".into())));
        }
        let names = records.iter().map(|(n, _)| n).chain(seen.iter());
        let taken = names.filter(|n| *n != name).any(|n| n == label)
            || labels.iter().any(|(n, l)| n != name && l == label);
        if taken {
            return Ok(Err(ApiError::Conflict(format!("another node is already called {label}"))));
        }
        nodes::set_label(&mut labels_t, name, Some(label))?;
        let rec = AuditRecord {
            at: now_unix(),
            who: by.who,
            ip: by.ip,
            action: "NODE_RENAMED".into(),
            target: name.to_owned(),
            detail: format!("display name {label}"),
        };
        audit::append(&mut txn.open_table(AUDIT)?, &rec)?;
        Ok(Ok(()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_names_each_problem() {
        let good = NodeHealth {
            sshd_port: 22,
            sshd_listening: Some(true),
            udpgw_port: 7300,
            udpgw_listening: Some(true),
            cert_days_left: Some(CERT_WARN_DAYS + 1),
        };
        assert_eq!(health_json(Some(&good))["ok"], true);
        assert_eq!(health_json(None), Value::Null);
        let bad = NodeHealth { sshd_listening: Some(false), cert_days_left: Some(-1), ..good.clone() };
        assert_eq!(health_json(Some(&bad))["problems"], json!(["sshd", "cert"]));
        let unchecked =
            NodeHealth { sshd_listening: None, udpgw_listening: None, cert_days_left: None, ..good };
        assert_eq!(health_json(Some(&unchecked))["ok"], true);
    }
}
