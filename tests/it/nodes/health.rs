//! Per-node health in `GET /api/nodes`: each enrolled proxy reports whether its upstream sshd
//! and its UDPGW port are listening on its host and its certificate's days left; the row says
//! `ok`, or names each problem (a node whose sshd is down, with a certificate about to expire).

use super::{TlsPanel, enrol, node_dir, stderr};
use crate::helpers::net::EchoServer;
use crate::helpers::{PanelDir, wait_for};
use serde_json::{Value, json};
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn health_of(tls: &TlsPanel, name: &str) -> Option<Value> {
    let listed = tls.panel.api("GET", "/api/nodes", None).json;
    let row =
        listed["nodes"].as_array()?.iter().find(|n| n["name"] == name && n["connected"] == true)?.clone();
    (!row["health"].is_null()).then(|| row["health"].clone())
}

/// A certificate for `localhost` that expires `days` days and an hour from now.
fn cert_expiring_in(dir: &PanelDir, days: i64) {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let at = wss_panel::domain::now_unix() + days * 86_400 + 3600;
    params.not_after = time::OffsetDateTime::from_unix_timestamp(at).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    std::fs::write(dir.dir.path().join("cert.pem"), params.self_signed(&key).unwrap().pem()).unwrap();
    std::fs::write(dir.dir.path().join("key.pem"), key.serialize_pem()).unwrap();
}

#[test]
fn each_node_reports_its_sshd_udpgw_and_certificate_and_the_row_names_problems() {
    let sshd = EchoServer::start(); // what node A forwards to: listening
    let tls = TlsPanel::start(json!({}));
    let udpgw = free_port();
    let a = node_dir("edge-ok", "127.0.0.2", sshd.addr.port());
    a.set_config(json!({ "udpgw_port": udpgw }));
    let down = free_port(); // nothing listens there any more
    let b = node_dir("edge-bad", "127.0.0.3", down);
    cert_expiring_in(&b, 5);
    for (dir, name) in [(&a, "edge-ok"), (&b, "edge-bad")] {
        let out = enrol(dir, &tls.https, &tls.token(name, "1h"));
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let _pa = a.start_proxy();
    let _pb = b.start_proxy();

    let ok =
        wait_for(Duration::from_secs(15), || health_of(&tls, "edge-ok")).expect("edge-ok reports health");
    assert_eq!(ok["ok"], true, "{ok}");
    assert_eq!(
        (ok["sshd_port"].as_u64(), ok["sshd_listening"].as_bool()),
        (Some(sshd.addr.port().into()), Some(true))
    );
    assert_eq!(
        (ok["udpgw_port"].as_u64(), ok["udpgw_listening"].as_bool()),
        (Some(udpgw.into()), Some(true))
    );
    assert!(ok["cert_days_left"].as_i64().is_some_and(|d| d > 14), "{ok}");

    let bad =
        wait_for(Duration::from_secs(15), || health_of(&tls, "edge-bad")).expect("edge-bad reports health");
    assert_eq!(bad["ok"], false, "{bad}");
    assert_eq!(bad["problems"], json!(["sshd", "cert"]), "{bad}");
    assert_eq!(
        (bad["sshd_port"].as_u64(), bad["sshd_listening"].as_bool()),
        (Some(down.into()), Some(false))
    );
    assert_eq!(bad["udpgw_listening"], Value::Null, "UDPGW off is not a problem");
    assert_eq!(bad["cert_days_left"], 5);
}
