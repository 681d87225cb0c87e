//! `/api/hosts`: the Host header whitelist. Saving validates, deduplicates, stores, and
//! publishes the change: the planner pushes the list to every proxy and tells open pages.

use super::admin_auth::Admin;
use super::error::ApiError;
use super::{AppState, audited};
use crate::actors::change::{Change, Publish};
use crate::domain::now_unix;
use crate::store::hosts::{self, AllowedHost};
use crate::store::tables::HOSTS;
use crate::store::{Record, Store, StoreError};
use actix_web::{HttpResponse, web};
use redb::ReadableTable;
use serde::Deserialize;

pub const MAX_HOSTS: usize = 1000;

/// Lowercase, no trailing dot, DNS labels or an IP literal.
pub fn normalize_host(raw: &str) -> Result<String, String> {
    let host = raw.trim().trim_end_matches('.').to_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Ok(host);
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if host.is_empty() || host.len() > 253 || !host.split('.').all(label_ok) {
        return Err(format!("'{}' is not a valid host name", raw.trim()));
    }
    Ok(host)
}

/// Sorted, deduplicated, validated; the first bad entry fails the whole list.
pub fn normalize_hosts(raw: &[String]) -> Result<Vec<String>, String> {
    if raw.len() > MAX_HOSTS {
        return Err(format!("at most {MAX_HOSTS} hosts"));
    }
    let mut hosts = raw
        .iter()
        .filter(|h| !h.trim().is_empty())
        .map(|h| normalize_host(h))
        .collect::<Result<Vec<_>, _>>()?;
    hosts.sort();
    hosts.dedup();
    Ok(hosts)
}

pub fn load(store: &Store) -> Result<Vec<String>, StoreError> {
    store.read(|txn| Ok(hosts::list(&txn.open_table(HOSTS)?)?.into_iter().map(|h| h.host).collect()))
}

pub async fn get(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let hosts =
        web::block(move || load(&store)).await.map_err(ApiError::internal)?.map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "hosts": hosts })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostsInput {
    pub hosts: Vec<String>,
}

pub async fn put(
    Admin(by): Admin,
    state: web::Data<AppState>,
    body: web::Json<HostsInput>,
) -> Result<HttpResponse, ApiError> {
    let hosts = normalize_hosts(&body.hosts).map_err(ApiError::BadRequest)?;
    let saved = hosts.clone();
    audited::write(state.store.clone(), by, "HOSTS_UPDATE", String::new(), move |txn| {
        let mut table = txn.open_table(HOSTS)?;
        let old =
            table.iter()?.map(|e| e.map(|(k, _)| k.value().to_owned())).collect::<Result<Vec<_>, _>>()?;
        if old == saved {
            return Ok(None);
        }
        table.retain(|_, _| false)?;
        for host in &saved {
            let record = AllowedHost { host: host.clone(), added_at: now_unix() };
            table.insert(host.as_str(), record.encode().as_slice())?;
        }
        let list = |h: &[String]| if h.is_empty() { "none".to_owned() } else { h.join(",") };
        Ok(Some(format!("{} → {}", list(&old), list(&saved))))
    })
    .await?;
    state.dispatcher.do_send(Publish(vec![Change::Hosts(hosts.clone())]));
    Ok(HttpResponse::Ok().json(serde_json::json!({ "hosts": hosts })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_validated_lowercased_and_deduplicated() {
        let raw = ["CDN.Example.com.", "cdn.example.com", " a-b.c ", "", "10.0.0.1"].map(String::from);
        assert_eq!(normalize_hosts(&raw).unwrap(), ["10.0.0.1", "a-b.c", "cdn.example.com"]);
        for bad in ["exa mple.com", "-a.com", "a..b", "<script>", "a/b"] {
            assert!(normalize_hosts(&[bad.to_owned()]).is_err(), "{bad}");
        }
    }
}
