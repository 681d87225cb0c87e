//! The Settings page's shell door ports (stunnel and the sshd behind it) in real headless
//! Chromium: in the trial (`wss-panel up`: the recording backend, config.json the panel's own)
//! both fields are shown, disabled, with the reason; once installed (config.json root's, here
//! `nobody`'s) they are editable and a change is confirmed and sent to the helper.

use crate::helpers::PanelDir;
use crate::helpers::browser::Browser;
use crate::ui_browser::{log_in, runtime};
use serde_json::json;
use std::time::Duration;

const FIELDS: &str = "return ['#port-stunnel_port', '#port-sshd_stunnel_port']
    .map(s => { const i = document.querySelector(s); return [i.value, i.disabled]; });";

#[test]
fn ui_browser_door_port_fields_are_disabled_in_trial_and_editable_once_installed() {
    // The form sends every editable port: the proxy's must be real ones (the helper's 0 is
    // "any free port", which the API refuses).
    let dir = PanelDir::new(json!({ "wss_http_port": 28080, "wss_tls_port": 28443 }));
    let panel = dir.start();
    runtime().block_on(async {
        let Some(b) = Browser::start().await else { return };
        log_in(&b, &panel.url).await;
        b.js("localStorage.setItem('lang', 'en');").await;
        b.client.goto(&format!("{}/#settings", panel.url)).await.unwrap();
        let note =
            b.wait_text("#port-doors-note", Duration::from_secs(5), |t| t.contains("Trial mode")).await;
        assert!(note.is_some_and(|t| t.contains("runs no stunnel")), "the reason is shown");
        assert_eq!(b.js(FIELDS).await, json!([["444", true], ["2222", true]]));
        // The panel's own ports stay editable in the trial.
        assert_eq!(b.js("return document.querySelector('#port-wss_http_port').disabled;").await, false);

        std::os::unix::fs::chown(dir.config_path(), Some(65534), Some(65534)).unwrap();
        b.client.refresh().await.unwrap();
        let hint = b.wait_text("#port-doors-note", Duration::from_secs(5), |t| t.contains("restored")).await;
        assert!(hint.is_some(), "installed: the note says what a change does");
        assert_eq!(b.js(FIELDS).await, json!([["444", false], ["2222", false]]));
        b.type_into("#port-stunnel_port", "18444").await;
        b.type_into("#port-sshd_stunnel_port", "18222").await;
        b.click("#ports-save").await;
        let confirm = b.wait_text(".modal p", Duration::from_secs(5), |t| t.contains("sshd_stunnel")).await;
        assert!(confirm.is_some_and(|t| t.contains("stunnel@wss")), "the dialog names both restarts");
        b.click("#ports-ok").await;
        let line = panel.wait_for_log(&["SYSTEM_COMMAND", "set-door-ports"]);
        assert!(line.contains("set-door-ports 18444 18222"), "{line}");
        b.quit().await;
    });
}
