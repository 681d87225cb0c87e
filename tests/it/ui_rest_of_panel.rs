//! The rest of issue 13, in real headless Chromium: the speed chart's axes follow the units
//! switch, the certificate alert (a certificate ending in 5 days warns with its fix, one
//! valid for a year does not), the audit log says what changed (old → new) and has no row for
//! a save that changes nothing, the fuse threshold explained with a worked example in both
//! languages, and dates typed and shown as YYYY-MM-DD in an en-US browser.

use crate::helpers::browser::{Browser, BrowserOpts};
use crate::helpers::{Panel, PanelDir};
use crate::ui_browser::{log_in, runtime};
use crate::ui_users_page::menu_action;
use serde_json::{Value, json};
use std::time::Duration;

/// A panel dir whose `tls_cert` ends `days` (and an hour, so that whole days left stay
/// `days` while the test runs) from now.
fn dir_with_cert_ending_in(days: i64) -> PanelDir {
    let dir = PanelDir::new(json!({}));
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.not_after =
        time::OffsetDateTime::now_utc() + time::Duration::days(days) + time::Duration::hours(1);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(dir.dir.path().join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.dir.path().join("key.pem"), key.serialize_pem()).unwrap();
    dir
}

fn latest_audit(panel: &Panel) -> Value {
    panel.api("GET", "/api/audit?limit=1", None).json["items"][0].clone()
}

async fn attr(b: &Browser, css: &str, name: &str) -> String {
    let el = b.wait_for(css).await;
    el.attr(name).await.unwrap().unwrap_or_default()
}

/// Polls until the element's attribute satisfies `want` (5 s).
async fn wait_attr(b: &Browser, css: &str, name: &str, want: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let v = attr(b, css, name).await;
        if want(&v) || std::time::Instant::now() > deadline {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn ui_browser_chart_axes_follow_the_units_switch_and_a_certificate_ending_in_5_days_warns_with_its_fix() {
    let soon = dir_with_cert_ending_in(5);
    let soon_panel = soon.start();
    let later = dir_with_cert_ending_in(365);
    let later_panel = later.start();
    let status = soon_panel.api("GET", "/api/system/status", None).json;
    let left = status["cert"]["days_left"].as_i64().expect("cert in the status");
    assert_eq!(left, 5, "{status}");
    assert!(status["cert"]["not_after"].as_i64().unwrap() > wss_panel::domain::now_unix());
    let status = later_panel.api("GET", "/api/system/status", None).json;
    assert_eq!(status["cert"]["days_left"], 365);
    runtime().block_on(async {
        let Some(b) = Browser::start().await else { return };
        log_in(&b, &soon_panel.url).await;
        b.js("localStorage.setItem('lang', 'en'); localStorage.setItem('units', 'binary');").await;
        b.client.refresh().await.unwrap();
        let alert =
            b.wait_text("#alerts [data-alert='cert']", Duration::from_secs(10), |t| !t.is_empty()).await;
        let alert = alert.expect("the certificate alert");
        assert!(alert.contains("expires in 5 days"), "{alert}");
        assert!(alert.contains("install.sh --cert"), "with its fix: {alert}");

        // The chart's axes: binary units as on the cards, then decimal after the switch.
        let chart = "#speed-chart";
        let ys = wait_attr(&b, chart, "data-y-labels", |v| v.contains("KiB/s")).await;
        assert_eq!(ys, "4.0 KiB/s | 3.0 KiB/s | 2.0 KiB/s | 1.0 KiB/s | 0.0 KiB/s", "an idle panel");
        let xs = attr(&b, chart, "data-x-labels").await;
        assert_eq!(xs, "-60 s | -30 s | now");
        let aria = attr(&b, chart, "aria-label").await;
        assert!(aria.contains("KiB/s") && aria.contains("-60 s"), "{aria}");
        b.click("#units-toggle").await;
        let ys = wait_attr(&b, chart, "data-y-labels", |v| v.contains("KB/s")).await;
        assert_eq!(ys, "4.0 KB/s | 3.0 KB/s | 2.0 KB/s | 1.0 KB/s | 0.0 KB/s", "decimal after the switch");
        let speed = b.wait_text("#d-speed", Duration::from_secs(5), |t| t.contains("KB/s")).await;
        assert!(speed.is_some_and(|t| !t.contains("KiB")), "the card uses the same units");
        b.js("document.querySelector('#speed-chart').scrollIntoView();").await;
        b.screenshot("dashboard-cert-alert-decimal.png").await;

        // In Chinese, the time axis too.
        b.js("localStorage.setItem('lang', 'zh');").await;
        b.client.refresh().await.unwrap();
        let xs = wait_attr(&b, chart, "data-x-labels", |v| v.contains("现在")).await;
        assert_eq!(xs, "60 秒前 | 30 秒前 | 现在");

        // A certificate valid for a year: the status has arrived (the CPU card is filled)
        // and no certificate alert is shown.
        log_in(&b, &later_panel.url).await;
        let cpu = b.wait_text("#d-cpu", Duration::from_secs(10), |t| t != "-").await;
        assert!(cpu.is_some(), "the status arrived");
        let alerts = b.js("return document.querySelectorAll(\"#alerts [data-alert='cert']\").length;").await;
        assert_eq!(alerts, 0);
        b.quit().await;
    });
}

#[test]
fn an_edit_is_audited_old_to_new_and_a_save_that_changes_nothing_adds_no_row() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let created = panel.create_user("olga", "olga-pass-1", json!({ "days": 30, "max_connections": 2 }));
    assert_eq!(created.status, 201);
    let edit = json!({ "rate_kbps": 512, "max_connections": 3, "note": "", "require_auth_header": true });
    assert_eq!(panel.api("PATCH", "/api/users/olga", Some(edit.clone())).status, 200);
    let row = latest_audit(&panel);
    assert_eq!((row["action"].as_str(), row["target"].as_str()), (Some("USER_UPDATE"), Some("olga")));
    assert_eq!(row["detail"], "rate_kbps 0 → 512, max_connections 2 → 3");
    let total = panel.audit_total();
    let again = panel.api("PATCH", "/api/users/olga", Some(edit));
    assert_eq!((again.status, again.json["rate_kbps"].as_u64()), (200, Some(512)));
    assert_eq!(panel.audit_total(), total, "an identical save adds no row");

    // Settings, the Host whitelist and the public address alike.
    for _ in 0..2 {
        assert_eq!(
            panel.api("PUT", "/api/settings", Some(json!({ "fuse_threshold_kbps": 4096 }))).status,
            200
        );
        assert_eq!(panel.api("PUT", "/api/hosts", Some(json!({ "hosts": ["a.example"] }))).status, 200);
        let public = json!({ "host": "vps.example.net", "sni": "", "wss_port": 80, "wss_tls_port": 443,
            "stunnel_port": 444, "udpgw_port": 7300 });
        assert_eq!(panel.api("PUT", "/api/public-address", Some(public)).status, 200);
    }
    assert_eq!(panel.audit_total(), total + 3, "three changes, then three saves that change nothing");
    let items = panel.api("GET", "/api/audit?limit=3", None).json["items"].clone();
    let details: Vec<&str> =
        items.as_array().unwrap().iter().map(|i| i["detail"].as_str().unwrap()).collect();
    assert!(details.contains(&"fuse_threshold_kbps 0 → 4096"), "{details:?}");
    assert!(details.contains(&"none → a.example"), "{details:?}");
}

/// A user on a "30 days from first use" plan, used today: the plan has set the expiry.
fn seed_used_first_use_plan(dir: &PanelDir, name: &str) {
    use wss_panel::domain::{UserStatus, day_of, now_unix};
    use wss_panel::store::{Store, StoreError, tables::USERS, users};
    let store = Store::open(&dir.store_path()).unwrap();
    let mut u = users::User::blank(name, UserStatus::Active);
    u.created_at = now_unix();
    u.first_used_at = Some(now_unix());
    u.expire_after_first_use_days = Some(30);
    u.expires_on = Some(day_of(now_unix()) + 30);
    let put = |txn: &redb::WriteTransaction| -> Result<(), StoreError> {
        users::put(&mut txn.open_table(USERS)?, &u)
    };
    store.write(put).unwrap();
}

#[test]
fn ui_browser_en_us_dates_are_yyyy_mm_dd_audit_shows_old_to_new_and_the_fuse_is_explained() {
    let dir = PanelDir::new(json!({}));
    seed_used_first_use_plan(&dir, "fumi");
    let panel = dir.start();
    let created = panel.create_user("dora", "dora-pass-1", json!({ "expires_on": "2027-01-31" }));
    assert_eq!(created.status, 201, "{:?}", created.json);
    runtime().block_on(async {
        let Some(b) = Browser::start_with(BrowserOpts { lang: Some("en-US"), ..Default::default() }).await
        else {
            return;
        };
        log_in(&b, &panel.url).await;
        // The premise: this browser writes dates month first.
        let local = b.js("return [navigator.language, new Date(2027, 0, 31).toLocaleDateString()];").await;
        assert_eq!(local, json!(["en-US", "1/31/2027"]));
        b.js("localStorage.setItem('lang', 'en');").await;
        b.client.goto(&format!("{}/#users", panel.url)).await.unwrap();
        b.wait_for("tr[data-user='dora']").await;

        // A save that changes nothing, through the dialog: no audit row.
        let total = panel.audit_total();
        menu_action(&b, "dora", "edit").await;
        assert_eq!(
            b.wait_for("#f-expires").await.prop("value").await.unwrap().as_deref(),
            Some("2027-01-31")
        );
        b.click("#dialog-save").await;
        b.wait_text("#toast", Duration::from_secs(5), |t| t.contains("dora")).await.expect("saved");
        assert_eq!(panel.audit_total(), total, "the unchanged dialog wrote no row");

        // The expiry field shows and takes YYYY-MM-DD.
        menu_action(&b, "dora", "edit").await;
        let field = b.wait_for("#f-expires").await;
        assert_eq!(field.attr("type").await.unwrap().as_deref(), Some("text"));
        assert_eq!(field.attr("placeholder").await.unwrap().as_deref(), Some("YYYY-MM-DD"));
        b.type_into("#f-expires", "02/15/2027").await;
        b.click("#dialog-save").await;
        let err = b.wait_text("#err-expires_on", Duration::from_secs(3), |t| !t.is_empty()).await;
        assert!(err.is_some_and(|t| t.contains("YYYY-MM-DD")), "a month-first date is refused");
        b.screenshot("user-edit-date-en-us.png").await;
        assert_eq!(panel.api("GET", "/api/users/dora", None).json["expires_on"], "2027-01-31");
        b.type_into("#f-expires", "2027-02-15").await;
        b.click("#dialog-save").await;
        let saved = crate::helpers::wait_for(Duration::from_secs(5), || {
            let u = panel.api("GET", "/api/users/dora", None).json;
            (u["expires_on"] == "2027-02-15").then_some(())
        });
        assert!(saved.is_some(), "the typed date was saved");
        let cell = "tr[data-user='dora'] .c-days_left";
        assert!(b.wait_text(cell, Duration::from_secs(5), |t| t.contains("2027-02-15")).await.is_some());

        // The calendar button: the browser's own picker fills a hidden native date field, and
        // the text field takes its day (a WebDriver cannot click inside the native popup).
        menu_action(&b, "dora", "edit").await;
        b.click("#f-expires-pick").await;
        b.js("const n = document.querySelector('#f-expires-native'); n.value = '2027-03-01';
              n.dispatchEvent(new Event('change'));")
            .await;
        assert_eq!(
            b.wait_for("#f-expires").await.prop("value").await.unwrap().as_deref(),
            Some("2027-03-01")
        );
        b.click("#dialog-save").await;
        let saved = crate::helpers::wait_for(Duration::from_secs(5), || {
            let u = panel.api("GET", "/api/users/dora", None).json;
            (u["expires_on"] == "2027-03-01").then_some(())
        });
        assert!(saved.is_some(), "the picked date was saved");

        // A user whose first-use plan set the expiry: an edit of another field saves (only
        // what changed goes to the server, which refuses an expiry and a plan together).
        b.wait_for("tr[data-user='fumi']").await;
        menu_action(&b, "fumi", "edit").await;
        b.type_into("#f-rate", "64").await;
        b.click("#dialog-save").await;
        let saved = crate::helpers::wait_for(Duration::from_secs(5), || {
            let u = panel.api("GET", "/api/users/fumi", None).json;
            (u["rate_kbps"] == 64).then_some(())
        });
        assert!(saved.is_some(), "the edit of a used first-use plan was saved");
        assert_eq!(latest_audit(&panel)["detail"], "rate_kbps 0 → 64");

        // Settings: the fuse threshold with its worked example; the audit log with old → new
        // and its "from" date as YYYY-MM-DD.
        b.client.goto(&format!("{}/#settings", panel.url)).await.unwrap();
        let hint = b.wait_text("#fuse-hint", Duration::from_secs(5), |t| t.contains("512 KiB/s")).await;
        assert!(hint.is_some_and(|t| t.contains("fuse is off") && t.contains("Resume")), "the example at 0");
        b.type_into("#fuse-kbps", "2048").await;
        let hint = b.wait_text("#fuse-hint", Duration::from_secs(3), |t| t.contains("2048 KiB/s")).await;
        let hint = hint.expect("the example follows the value typed");
        assert!(
            hint.contains("every second") && hint.contains("16.8 Mbit/s") && !hint.contains("off"),
            "{hint}"
        );
        b.screenshot("settings-fuse-example-en.png").await;
        let rows = b.wait_text("#audit-body", Duration::from_secs(5), |t| t.contains("→")).await;
        let rows = rows.unwrap_or_default();
        assert!(rows.contains("expires_on 2027-02-15 → 2027-03-01"), "old → new in the table: {rows}");
        assert!(rows.contains("expires_on 2027-01-31 → 2027-02-15"), "{rows}");
        assert_eq!(rows.matches("USER_UPDATE").count(), 3, "three edits, no row for the unchanged save");
        let since = b.wait_for("#audit-since").await;
        assert_eq!(since.attr("placeholder").await.unwrap().as_deref(), Some("YYYY-MM-DD"));
        assert_eq!(since.attr("type").await.unwrap().as_deref(), Some("text"));
        b.type_into("#audit-since", "2099-01-01").await;
        assert!(
            b.wait_text("#audit-body", Duration::from_secs(3), |t| t.contains("Nothing yet")).await.is_some()
        );
        let today =
            wss_panel::domain::format_day(wss_panel::domain::day_of(wss_panel::domain::now_unix() - 86_400));
        b.type_into("#audit-since", &today).await;
        assert!(
            b.wait_text("#audit-body", Duration::from_secs(3), |t| t.contains("USER_UPDATE")).await.is_some()
        );
        b.type_into("#audit-since", "01/31/2027").await;
        assert_eq!(attr(&b, "#audit-since", "aria-invalid").await, "true");
        b.screenshot("settings-fuse-audit-en-us.png").await;

        // The same example in Chinese.
        b.js("localStorage.setItem('lang', 'zh');").await;
        b.client.refresh().await.unwrap();
        let hint = b.wait_text("#fuse-hint", Duration::from_secs(5), |t| t.contains("KiB/s")).await;
        assert!(hint.is_some_and(|t| t.contains("每秒") && t.contains("恢复")), "the example in Chinese");
        b.quit().await;
    });
}

/// sshd stops listening while the dashboard is open (issue 15, "sshd down or refusing"):
/// the alert row names it within 2 s, without a reload, from the panel's 500 ms watch of
/// the listening ports rather than its 5 s status tick.
#[test]
fn ui_browser_the_dashboard_shows_sshd_down_within_2_s() {
    let sshd = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = sshd.local_addr().unwrap().port();
    let dir = crate::helpers::PanelDir::new(serde_json::json!({ "internal_forward_port": port }));
    let panel = dir.start();
    crate::ui_browser::runtime().block_on(async {
        let Some(b) = crate::helpers::browser::Browser::start().await else { return };
        crate::ui_browser::log_in(&b, &panel.url).await;
        b.wait_for("#services tr").await;
        let shown = "return document.querySelector(\"#alerts [data-alert='sshd']\") !== null;";
        // With sshd up, past a watch tick: no alert.
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        assert_eq!(b.js(shown).await, serde_json::json!(false), "an sshd alert while sshd listens");
        drop(sshd);
        let stopped = std::time::Instant::now();
        let mut seen = None;
        while stopped.elapsed() < std::time::Duration::from_secs(10) {
            if b.js(shown).await == serde_json::json!(true) {
                seen = Some(stopped.elapsed());
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let seen = seen.expect("no sshd alert within 10 s of sshd stopping");
        eprintln!("sshd alert shown {} ms after sshd stopped listening", seen.as_millis());
        assert!(seen <= std::time::Duration::from_secs(2), "the sshd alert took {seen:?}");
        b.quit().await;
    });
}
