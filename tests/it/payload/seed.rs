//! The public address from the installer: `install.sh --public-host` writes `public_host`
//! into config.json (a bad one is refused before anything changes), and the panel copies it
//! into the store at start only while no public address is configured.

use crate::helpers::PanelDir;
use crate::install::{BIN, Stage, TOOLS, changed, text, tree};
use crate::privileged::sandbox::ready;
use serde_json::json;
use std::path::Path;

#[test]
fn install_sh_writes_the_public_host_and_refuses_a_bad_one_before_changing_anything() {
    if !ready(TOOLS) {
        return;
    }
    let stage = Stage::new();
    let before = tree(&stage.root());
    let out = stage.install(Path::new(BIN), &["--public-host", "http://vpn.example.com/"]);
    assert!(!out.status.success() && text(&out).contains("--public-host"), "{}", text(&out));
    assert_eq!(changed(&before, &tree(&stage.root())), Vec::<String>::new());
    let out = stage.install(Path::new(BIN), &["--public-host", "VPN.example.com"]);
    assert!(out.status.success(), "{}", text(&out));
    let config = wss_panel::config::Config::load(&stage.path("/etc/wss-panel/config.json")).unwrap();
    assert_eq!(config.public_host.as_deref(), Some("vpn.example.com"));
}

#[test]
fn the_panel_seeds_the_public_address_from_config_only_while_it_is_unset() {
    let dir = PanelDir::new(json!({ "public_host": "seed.example.com", "stunnel_port": 8444 }));
    let panel = dir.start();
    let got = panel.api("GET", "/api/public-address", None).json;
    assert_eq!((got["host"].as_str(), got["stunnel_port"].as_u64()), (Some("seed.example.com"), Some(8444)));
    let mine = json!({ "host": "mine.example.com", "sni": "", "wss_port": 80, "wss_tls_port": 443,
        "stunnel_port": 444, "udpgw_port": 7300 });
    assert_eq!(panel.api("PUT", "/api/public-address", Some(mine)).status, 200);
    drop(panel);
    let panel = dir.start();
    assert_eq!(panel.api("GET", "/api/public-address", None).json["host"], "mine.example.com");
}
