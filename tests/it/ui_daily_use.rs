//! What broke in a seller's daily use of the UI (issue 13), in real headless Chromium: copy on
//! a plain-HTTP origin that is not localhost, local times with their zone and "N days left"
//! in a browser far from UTC, the phone layout (no sideways scroll, short rows, the
//! navigation on one line), and the usage cell moving while a tunnel carries traffic.

use crate::helpers::PanelDir;
use crate::helpers::browser::{Browser, BrowserOpts};
use crate::helpers::net::EchoServer;
use crate::ui_browser::{busy_tunnel, log_in, runtime};
use serde_json::json;
use std::time::Duration;
use wss_panel::domain::{day_of, now_unix, parse_day};

const SHANGHAI_OFFSET_SECS: i64 = 8 * 3600;

#[test]
fn ui_browser_copies_on_a_plain_http_domain_and_shows_local_times_with_zone_and_days_left() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let created = panel.create_user("alice", "alice-pass-1", json!({ "days": 10 }));
    assert_eq!(created.status, 201, "{:?}", created.json);
    let expires = created.json["expires_on"].as_str().unwrap().to_owned();
    let public = json!({ "host": "vps.example.net", "sni": "", "wss_port": 80, "wss_tls_port": 443,
        "stunnel_port": 444, "udpgw_port": 7300 });
    assert_eq!(panel.api("PUT", "/api/public-address", Some(public)).status, 200);
    let ban = panel.api("POST", "/api/bans", Some(json!({ "ip": "203.0.113.7", "reason": "test" })));
    assert_eq!(ban.status, 201, "{:?}", ban.json);
    let port = panel.url.rsplit(':').next().unwrap().to_owned();
    let url = format!("http://vps.example.net:{port}");
    runtime().block_on(async {
        let opts = BrowserOpts {
            host_rules: Some("MAP vps.example.net 127.0.0.1".into()),
            tz: Some("Asia/Shanghai"),
            ..Default::default()
        };
        let Some(b) = Browser::start_with(opts).await else { return };
        log_in(&b, &url).await;
        // The premise: this origin has no Clipboard API, as on a fresh VPS without TLS.
        let ctx = b.js("return [window.isSecureContext, typeof navigator.clipboard];").await;
        assert_eq!(ctx, json!([false, "undefined"]));

        b.client.goto(&format!("{url}/#payload")).await.unwrap();
        b.wait_for("#p-user option[value='alice']").await;
        b.js("const u = document.querySelector('#p-user'); u.value = 'alice'; u.dispatchEvent(new Event('change'));
              const p = document.querySelector('#p-pass'); p.value = 'alice-pass-1'; p.dispatchEvent(new Event('change'));")
            .await;
        // Both change events ask for a payload; wait for the last answer (alice's own token), so
        // the text cannot change between the copy and the read below.
        use base64::Engine as _;
        let token = base64::engine::general_purpose::STANDARD.encode("alice:alice-pass-1");
        let made = b.wait_text("#p-out", Duration::from_secs(5), |t| t.contains(&token)).await;
        assert!(made.is_some(), "no payload with alice's token");
        // Record what a copy puts on the clipboard: the copy event's selected text, caught on
        // the window in the capture phase so no handler of the page can hide it.
        b.js("window.__copied = null; window.addEventListener('copy', (e) => {
                const el = e.target; window.__copied = el.value !== undefined
                  ? el.value.slice(el.selectionStart, el.selectionEnd) : String(getSelection()); }, true);")
            .await;
        b.click("#p-copy").await;
        let toast = b.wait_text("#toast", Duration::from_secs(3), |t| !t.is_empty()).await;
        let payload = b.js("return document.querySelector('#p-out').textContent;").await;
        let copied = b.js("return window.__copied;").await;
        assert_eq!(copied, payload, "the payload went to the clipboard (toast: {toast:?})");
        assert!(payload.as_str().unwrap().contains("Proxy-Authorization: Basic"));
        assert!(toast.as_deref().is_some_and(|t| t.contains("已复制")), "a toast says so: {toast:?}");
        assert_eq!(b.js("return document.querySelectorAll('textarea.offscreen').length;").await, 0);

        // Times are the browser's local time with its zone.
        b.client.goto(&format!("{url}/#security")).await.unwrap();
        let row = b.wait_text("#bans-body tr", Duration::from_secs(5), |t| t.contains("203.0.113.7")).await;
        let row = row.expect("the ban is listed");
        let at = ban.json["created_at"].as_i64().unwrap_or_else(now_unix);
        let local_hour = (at + SHANGHAI_OFFSET_SECS).rem_euclid(86_400) / 3600;
        assert!(row.contains("UTC+8"), "zone shown: {row}");
        assert!(row.contains(&format!(" {local_hour:02}:")), "hour {local_hour:02} in Shanghai: {row}");

        // Expiry with the days left, counted from the browser's today.
        b.js("localStorage.setItem('lang', 'en');").await;
        b.client.goto(&format!("{url}/#users")).await.unwrap();
        let left = parse_day(&expires).unwrap() - day_of(now_unix() + SHANGHAI_OFFSET_SECS);
        let cell = "tr[data-user='alice'] .c-days_left";
        let shown = b.wait_text(cell, Duration::from_secs(5), |t| t.contains("days left")).await;
        let shown = shown.expect("days left shown");
        assert!(shown.contains(&format!("{left} days left")) && shown.contains(&expires), "{shown}");
        b.quit().await;
    });
}

#[test]
fn ui_browser_phone_width_has_no_sideways_scroll_short_rows_and_one_line_navigation() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    for i in 0..6 {
        let note = json!({ "days": 30, "note": "a customer with a rather long note here", "quota_gb": 10 });
        assert_eq!(panel.create_user(&format!("phone{i}"), "phone-pass-1", note).status, 201);
    }
    runtime().block_on(async {
        let Some(b) = Browser::start().await else { return };
        log_in(&b, &panel.url).await;
        b.client.set_window_size(390, 844).await.unwrap();
        b.client.goto(&format!("{}/#users", panel.url)).await.unwrap();
        b.wait_for("tr[data-user='phone5']").await;
        let viewport = b.js("return [window.innerWidth, document.documentElement.scrollWidth];").await;
        let (inner, scroll) = (viewport[0].as_i64().unwrap(), viewport[1].as_i64().unwrap());
        assert!(inner <= 390 && scroll <= inner, "page {scroll} px wide in a {inner} px window");
        let heights = b
            .js("return [...document.querySelectorAll('#users-body tr')].map(r => r.getBoundingClientRect().height);")
            .await;
        let heights: Vec<f64> = heights.as_array().unwrap().iter().map(|h| h.as_f64().unwrap()).collect();
        assert_eq!(heights.len(), 6);
        assert!(heights.iter().all(|h| *h < 400.0 && *h > 0.0), "row heights {heights:?}");
        let tops = b.js("return [...document.querySelectorAll('#nav a')].map(a => a.offsetTop);").await;
        let tops = tops.as_array().unwrap();
        assert!(tops.iter().all(|t| t == &tops[0]), "the navigation wraps: link tops {tops:?}");
        b.screenshot("users-phone-cards.png").await;
        b.quit().await;
    });
}

#[test]
fn ui_browser_usage_cell_moves_while_a_tunnel_carries_traffic() {
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let panel = dir.start();
    let proxy = dir.start_proxy();
    let created = panel.create_user("flow", "flow-pass-1", json!({ "days": 30, "quota_gb": 0.05 }));
    assert_eq!(created.status, 201);
    // A user's first tunnel records its first use (a change of its own, after which open pages
    // refetch the list): done before the page opens, so the window measured has only traffic.
    {
        use std::io::Write;
        let mut s = crate::helpers::net::connect(proxy.http);
        s.write_all(crate::helpers::net::upgrade_head("flow", "flow-pass-1").as_bytes()).unwrap();
        assert!(crate::helpers::net::read_head(&mut s).starts_with("HTTP/1.1 101"));
    }
    let used_once = crate::helpers::wait_for(Duration::from_secs(10), || {
        panel.api("GET", "/api/users/flow", None).json["first_used_at"].as_i64()
    });
    assert!(used_once.is_some(), "the first tunnel was not recorded");
    runtime().block_on(async {
        let Some(b) = Browser::start().await else { return };
        log_in(&b, &panel.url).await;
        b.client.goto(&format!("{}/#users", panel.url)).await.unwrap();
        let used = "tr[data-user='flow'] .usage small";
        let before = b.wait_text(used, Duration::from_secs(5), |t| !t.is_empty()).await.unwrap();
        assert!(before.starts_with("0 B"), "{before}");
        let closed = busy_tunnel(proxy.http, "flow", "flow-pass-1");
        // Without a reload of the page or the list, the cell grows tick after tick.
        b.js("window.__reloads = 0; const f = window.fetch; window.fetch = (...a) => { window.__reloads++; return f(...a); };")
            .await;
        let first = b.wait_text(used, Duration::from_secs(5), |t| !t.starts_with("0 B")).await;
        let first = first.expect("usage moved under traffic");
        let later = b.wait_text(used, Duration::from_secs(5), |t| t != first).await;
        assert!(later.is_some(), "usage keeps moving after {first}");
        assert_eq!(b.js("return window.__reloads;").await, 0, "no refetch needed");
        let bar = b.js("return document.querySelector(\"tr[data-user='flow'] .usage .fill\").style.width;").await;
        assert_ne!(bar, "0.0%", "the bar follows");
        closed.store(true, std::sync::atomic::Ordering::SeqCst);
        b.quit().await;
    });
}
