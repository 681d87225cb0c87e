//! The admin UI in real headless Chromium against the real panel and proxy: log in, create a
//! user through the dialog, watch a live tunnel appear on the page, kick it from the page,
//! switch language and theme, login throttling, and no resource from outside the panel.

use crate::helpers::browser::Browser;
use crate::helpers::net::{EchoServer, connect, read_head, upgrade_head};
use crate::helpers::{ADMIN_PASSWORD, PanelDir};
use serde_json::json;
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

pub(crate) async fn log_in(b: &Browser, url: &str) {
    b.client.goto(&format!("{url}/login.html")).await.unwrap();
    b.type_into("#login-password", ADMIN_PASSWORD).await;
    b.click("#login-submit").await;
    b.wait_for("#view[data-view='dashboard']").await;
}

fn assert_all_local(urls: &[String], base: &str) {
    assert!(!urls.is_empty());
    for u in urls {
        assert!(u.starts_with(base), "{u} is not from the panel ({base})");
    }
}

/// A tunnel that keeps sending (and reading back its echo) until the proxy closes it.
pub(crate) fn busy_tunnel(addr: std::net::SocketAddr, user: &str, password: &str) -> Arc<AtomicBool> {
    let mut s = connect(addr);
    s.write_all(upgrade_head(user, password).as_bytes()).unwrap();
    assert!(read_head(&mut s).starts_with("HTTP/1.1 101"));
    let closed = Arc::new(AtomicBool::new(false));
    let mut reader = s.try_clone().unwrap();
    let flag = closed.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
        flag.store(true, Ordering::SeqCst);
    });
    let stop = closed.clone();
    std::thread::spawn(move || {
        let chunk = vec![b'x'; 32 * 1024];
        let deadline = Instant::now() + Duration::from_secs(60);
        while !stop.load(Ordering::SeqCst) && Instant::now() < deadline && s.write_all(&chunk).is_ok() {
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    closed
}

#[test]
fn ui_browser_user_lifecycle_live_tunnel_kick_language_and_theme() {
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let panel = dir.start();
    let proxy = dir.start_proxy();
    runtime().block_on(async {
        let Some(b) = Browser::start().await else { return };
        b.client.goto(&format!("{}/", panel.url)).await.unwrap();
        b.wait_for("#login-form").await;
        assert_all_local(&b.loaded_urls().await, &panel.url);
        log_in(&b, &panel.url).await;
        b.wait_text("#d-cpu", Duration::from_secs(10), |t| t != "-").await.expect("the dashboard fills in");
        b.wait_text("#live-light", Duration::from_secs(5), |_| true).await;
        let state = b.js("return document.querySelector('#live-light').dataset.state;").await;
        assert!(state == "live" || state == "connecting", "{state}");
        b.screenshot("dashboard.png").await;
        assert_all_local(&b.loaded_urls().await, &panel.url);

        // Create a user through the dialog; the token preview shows the Basic value.
        b.client.goto(&format!("{}/#users", panel.url)).await.unwrap();
        b.click("#add-user").await;
        b.type_into("#f-username", "webuser").await;
        b.type_into("#f-password", "pw-web-1").await;
        let preview =
            b.wait_text("#token-preview", Duration::from_secs(2), |t| t.starts_with("Basic ")).await;
        assert_eq!(preview.unwrap(), format!("Basic {}", base64_of("webuser:pw-web-1")));
        b.click("#dialog-save").await;
        let row = "tr[data-user='webuser']";
        b.wait_for(row).await;
        // The "send this to the customer" card opens after creating; close it.
        b.wait_for("#card-payload").await;
        b.click("dialog.modal .modal-buttons button").await;
        assert_eq!(panel.api("GET", "/api/users/webuser", None).status, 200);

        // A tunnel opened from here shows up on the page within 3 s, without a reload.
        let opened = Instant::now();
        let closed = busy_tunnel(proxy.http, "webuser", "pw-web-1");
        let conns = b.wait_text(&format!("{row} .c-conns"), Duration::from_secs(3), |t| t == "1").await;
        assert!(conns.is_some(), "connection count after {:?}", opened.elapsed());
        let moving = |t: &str| t.contains('↑') && t != "↑0.0 KiB/s ↓0.0 KiB/s";
        let speed = b.wait_text(&format!("{row} .c-speed"), Duration::from_secs(3), moving).await;
        assert!(speed.is_some(), "speed after {:?}", opened.elapsed());
        b.screenshot("users.png").await;
        // The tunnels view lists the client address with its user and node.
        b.client.goto(&format!("{}/#tunnels", panel.url)).await.unwrap();
        let tunnel = b.wait_text("#tunnels-body tr[data-user='webuser']", Duration::from_secs(3), |t| {
            t.contains("127.0.0.1") && t.contains("test")
        });
        assert!(tunnel.await.is_some(), "the tunnel is listed with its IP and node");
        b.client.goto(&format!("{}/#users", panel.url)).await.unwrap();
        b.wait_for(row).await;

        // Kick from the row's action menu, after a confirmation: the tunnel closes, and the
        // cells fall back to 0.
        b.click(&format!("{row} button.menu-btn")).await;
        b.click("#user-menu button[data-act='kick']").await;
        b.click("#confirm-ok").await;
        let deadline = Instant::now() + Duration::from_secs(3);
        while !closed.load(Ordering::SeqCst) {
            assert!(Instant::now() < deadline, "the kick did not close the tunnel");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let idle = b.wait_text(&format!("{row} .c-conns"), Duration::from_secs(5), |t| t == "0").await;
        assert!(idle.is_some(), "an idle user shows 0 connections");

        // Language and theme switch in place.
        let before = b.wait_text("#nav a[href='#users']", Duration::from_secs(1), |_| true).await.unwrap();
        b.click("#lang-toggle").await;
        let after = b.wait_text("#nav a[href='#users']", Duration::from_secs(2), |t| t != before).await;
        assert!(matches!(after.as_deref(), Some("Users") | Some("用户")), "{after:?}");
        let theme = "return document.documentElement.dataset.theme;";
        let t1 = b.js(theme).await;
        b.click("#theme-toggle").await;
        let t2 = b.js(theme).await;
        assert_ne!(t1, t2);
        assert!(t2 == "dark" || t2 == "light");
        assert_all_local(&b.loaded_urls().await, &panel.url);
        // On a phone-sized screen the page does not scroll sideways (wide tables scroll
        // inside their own box).
        b.client.set_window_size(390, 844).await.unwrap();
        let overflow = b.js("return document.documentElement.scrollWidth - window.innerWidth;").await;
        assert!(overflow.as_i64().unwrap() <= 0, "page wider than the phone by {overflow}");
        b.screenshot("users-phone.png").await;
        b.quit().await;
    });
}

#[test]
fn ui_browser_login_page_throttles_after_repeated_failures() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    runtime().block_on(async {
        let Some(b) = Browser::start().await else { return };
        b.client.goto(&format!("{}/login.html", panel.url)).await.unwrap();
        for i in 0..11 {
            b.js("document.querySelector('#login-error').textContent = ''; document.querySelector('#login-error').dataset.status = '';").await;
            b.type_into("#login-password", &format!("wrong-{i}")).await;
            b.click("#login-submit").await;
            let shown = b.wait_text("#login-error", Duration::from_secs(5), |t| !t.is_empty()).await;
            assert!(shown.is_some(), "attempt {i} got an answer");
        }
        let status = b.js("return document.querySelector('#login-error').dataset.status;").await;
        assert_eq!(status, "429", "the 11th attempt is throttled");
        // The right password is refused too while throttled: the page shows the 429 again.
        b.js("document.querySelector('#login-error').textContent = ''; document.querySelector('#login-error').dataset.status = '';").await;
        b.type_into("#login-password", ADMIN_PASSWORD).await;
        b.click("#login-submit").await;
        let shown = b.wait_text("#login-error", Duration::from_secs(5), |t| !t.is_empty()).await;
        assert!(shown.is_some(), "the right password got no answer");
        let status = b.js("return document.querySelector('#login-error').dataset.status;").await;
        assert_eq!(status, "429", "the right password is throttled too");
        assert!(b.client.current_url().await.unwrap().as_str().ends_with("/login.html"));
        b.quit().await;
    });
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Writes `n` users straight into a store file before the panel opens it.
fn seed_users(dir: &PanelDir, n: usize) {
    use wss_panel::store::{Store, tables::USERS, users};
    std::fs::create_dir_all(dir.store_path().parent().unwrap()).unwrap();
    let store = Store::open(&dir.store_path()).unwrap();
    store
        .write(|txn| -> Result<(), wss_panel::store::StoreError> {
            let mut table = txn.open_table(USERS)?;
            for i in 0..n {
                let user = users::User {
                    username: format!("u{i:05}"),
                    password_hash: "$2b$04$invalidinvalidinvalidinvalidinvalidinvalidinvalidinva".into(),
                    created_at: 1_700_000_000 + i as i64,
                    status: wss_panel::domain::UserStatus::Active,
                    expires_on: None,
                    quota_bytes: 1 << 30,
                    used_up_bytes: (i as u64 * 7919) % (1 << 29),
                    used_down_bytes: 0,
                    rate_kbps: 0,
                    max_connections: 0,
                    require_auth_header: true,
                    allow_shell: false,
                    note: String::new(),
                    quota_reset: Default::default(),
                    quota_reset_day: 0,
                    period_started: None,
                    period_base_bytes: 0,
                    expire_after_first_use_days: None,
                    first_used_at: None,
                    crypt_hash: String::new(),
                };
                users::put(&mut table, &user)?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn ui_browser_pages_10000_users_quickly_and_shows_hostile_text_as_text() {
    let dir = PanelDir::new(json!({}));
    seed_users(&dir, 10_000);
    let panel = dir.start();
    let hostile = "<img src=x id=pwned onerror=\"document.title='pwned'\">";
    let note = json!({ "note": hostile });
    assert_eq!(panel.create_user("zz_hostile", "pw-12345", note).status, 201);
    // Markup in an audit detail (the original's XSS came through a failed login's name, which
    // is no longer stored): a ban reason.
    let ban = panel.api("POST", "/api/bans", Some(json!({ "ip": "203.0.113.9", "reason": hostile })));
    assert_eq!(ban.status, 201, "{:?}", ban.json);
    runtime().block_on(async {
        let Some(b) = Browser::start().await else { return };
        log_in(&b, &panel.url).await;
        let started = Instant::now();
        b.client.goto(&format!("{}/#users", panel.url)).await.unwrap();
        let info = b.wait_text(".page-info", Duration::from_secs(20), |t| t.contains("(10001)")).await;
        assert!(info.is_some(), "10,001 users listed");
        let load = started.elapsed();
        let rows = b.js("return document.querySelectorAll('#users-body tr').length;").await;
        assert_eq!(rows, 50, "one page of rows in the DOM");
        // Sorting by usage and paging take well under a second each, in the browser.
        let timed = b
            .js("const t = performance.now();
                 document.querySelector(\"th[data-sort='usage']\").click();
                 document.querySelectorAll('.pager button')[1].click();
                 document.querySelector('#user-search').value = 'u09';
                 document.querySelector('#user-search').dispatchEvent(new Event('input'));
                 return performance.now() - t;")
            .await;
        let ms = timed.as_f64().unwrap();
        assert!(ms < 1500.0, "sort + page + search took {ms} ms (first load {load:?})");
        let page = b.wait_text(".page-info", Duration::from_secs(2), |t| t.contains("(1000)")).await;
        assert!(page.is_some(), "search narrows to u09xxx: {page:?}");
        // The hostile note is text, not markup.
        b.type_into("#user-search", "zz_hostile").await;
        let shown =
            b.wait_text("tr[data-user='zz_hostile'] .note", Duration::from_secs(3), |t| t == hostile).await;
        assert!(shown.is_some());
        b.client.goto(&format!("{}/#settings", panel.url)).await.unwrap();
        b.wait_text("#audit-body", Duration::from_secs(5), |t| t.contains(hostile))
            .await
            .expect("audit shows the reason");
        let injected = b.js("return [document.querySelectorAll('#pwned').length, document.title];").await;
        assert_eq!(injected, json!([0, "WSS 管理面板"]), "no element or script came from the data");
        b.quit().await;
    });
}
