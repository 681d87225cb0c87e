//! The Settings page's backup download in real headless Chromium: the link carries the
//! session, and what it downloads is a complete, checked backup file.

use crate::helpers::browser::Browser;
use crate::helpers::{ADMIN_PASSWORD, PanelDir};
use serde_json::json;
use std::time::Duration;

#[test]
fn ui_settings_downloads_a_backup_that_checks_out() {
    let dir = PanelDir::new(json!({ "backup_interval_secs": 0 }));
    let panel = dir.start();
    assert_eq!(panel.create_user("shown", "pw-shown-1", json!({})).status, 201);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let Some(b) = Browser::start().await else { return };
        b.client.goto(&format!("{}/login.html", panel.url)).await.unwrap();
        b.type_into("#login-password", ADMIN_PASSWORD).await;
        b.click("#login-submit").await;
        b.wait_for("#view[data-view='dashboard']").await;
        b.client.goto(&format!("{}/#settings", panel.url)).await.unwrap();
        let link = b.wait_text("#backup-download", Duration::from_secs(5), |t| !t.is_empty()).await;
        assert!(link.is_some(), "the Settings page offers the download");
        // Fetch what the link points at with the page's own session, as a click would.
        let got = b
            .js("return (async () => {
                   const a = document.querySelector('#backup-download');
                   const r = await fetch(a.href, { credentials: 'same-origin' });
                   const bytes = new Uint8Array(await r.arrayBuffer());
                   return [r.status, a.hasAttribute('download'), r.headers.get('content-disposition'),
                           Array.from(bytes)];
                 })();")
            .await;
        assert_eq!(got[0], 200);
        assert_eq!(got[1], true);
        assert!(got[2].as_str().unwrap().contains(".wssbak"), "{}", got[2]);
        let bytes: Vec<u8> = got[3].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u8).collect();
        let file = dir.dir.path().join("from-browser.wssbak");
        std::fs::write(&file, &bytes).unwrap();
        wss_panel::backup::file::check(&file).expect("a whole backup file");
        b.quit().await;
    });
}
