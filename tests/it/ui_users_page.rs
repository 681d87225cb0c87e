//! The users page a seller works in (issue 13), in real headless Chromium: the ⋮ action menu
//! (resume for paused and fused users), confirmations before kick/reset, the renew dialog's
//! dates, one toast at a time naming user and action, select-all and batch buttons, empty
//! states, problem users first, and the add-user dialog (fits 900 px, never expires, the
//! password rule shown next to the field and enforced).

use crate::helpers::PanelDir;
use crate::helpers::browser::Browser;
use crate::ui_browser::{log_in, runtime};
use serde_json::json;
use std::time::Duration;
use wss_panel::domain::{UserStatus, day_of, format_day, now_unix};

/// One user of every status, written into the store before the panel opens it.
fn seed(dir: &PanelDir) {
    use wss_panel::store::{Store, StoreError, tables::USERS, users};
    std::fs::create_dir_all(dir.store_path().parent().unwrap()).unwrap();
    let store = Store::open(&dir.store_path()).unwrap();
    let today = day_of(now_unix());
    let mut list = vec![];
    for (name, status) in [
        ("a_active", UserStatus::Active),
        ("b_paused", UserStatus::Paused),
        ("c_fused", UserStatus::Fused),
        ("d_expired", UserStatus::Expired),
        ("e_exceeded", UserStatus::Exceeded),
    ] {
        let mut u = users::User::blank(name, status);
        u.created_at = now_unix();
        u.expires_on = Some(today + 20);
        list.push(u);
    }
    list[3].expires_on = Some(today - 2);
    list[4].quota_bytes = 1 << 20;
    list[4].used_down_bytes = 2 << 20;
    store
        .write(|txn| -> Result<(), StoreError> {
            let mut table = txn.open_table(USERS)?;
            for u in &list {
                users::put(&mut table, u)?;
            }
            Ok(())
        })
        .unwrap();
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Opens a row's ⋮ menu. A live update may redraw the table between finding the button and
/// clicking it (the click then lands on a detached row): clicked again, up to three times.
async fn open_menu(b: &Browser, user: &str) {
    for _ in 0..3 {
        b.click(&format!("tr[data-user='{user}'] button.menu-btn")).await;
        let menu = b.client.wait().at_most(Duration::from_secs(3));
        if menu.for_element(fantoccini::Locator::Css("#user-menu")).await.is_ok() {
            return;
        }
    }
    panic!("the menu of {user} never opened");
}

/// Opens a row's menu and clicks `act`; a redraw that closes the menu in between (a live
/// update or the reload after the previous action) is retried, up to three times. A redraw
/// can also remove the menu after WebDriver checked the item but before its click landed
/// (the click then hits the table and WebDriver reports success), so an action that opens
/// a dialog (all but pause and resume) counts as clicked only once its dialog is open.
pub(crate) async fn menu_action(b: &Browser, user: &str, act: &str) {
    let item = format!("#user-menu button[data-act='{act}']");
    let opens_dialog = !matches!(act, "pause" | "resume");
    for _ in 0..3 {
        open_menu(b, user).await;
        let wait = || b.client.wait().at_most(Duration::from_secs(2));
        let Ok(el) = wait().for_element(fantoccini::Locator::Css(&item)).await else { continue };
        if el.click().await.is_ok()
            && (!opens_dialog || wait().for_element(fantoccini::Locator::Css("dialog[open]")).await.is_ok())
        {
            return;
        }
    }
    panic!("{act} of {user} could not be clicked");
}

async fn menu_items(b: &Browser, user: &str) -> Vec<String> {
    open_menu(b, user).await;
    let items =
        b.js("return [...document.querySelectorAll('#user-menu button')].map(b => b.dataset.act);").await;
    b.js("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));").await;
    items.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

#[test]
fn ui_browser_users_page_menu_confirmations_renew_dates_selection_and_problem_users_first() {
    let dir = PanelDir::new(json!({}));
    seed(&dir);
    let panel = dir.start();
    runtime().block_on(async {
        let Some(b) = Browser::start().await else { return };
        log_in(&b, &panel.url).await;
        b.js("localStorage.setItem('lang', 'en');").await;
        b.client.goto(&format!("{}/#users", panel.url)).await.unwrap();
        b.wait_for("tr[data-user='e_exceeded']").await;

        // Status sort: problem users first on the first click.
        b.click("th[data-sort='status']").await;
        let order =
            b.js("return [...document.querySelectorAll('#users-body tr')].map(r => r.dataset.user);").await;
        assert_eq!(order, json!(["e_exceeded", "d_expired", "c_fused", "b_paused", "a_active"]));

        // One ⋮ per row; resume for paused and fused users, pause for active ones.
        assert_eq!(b.js("return document.querySelectorAll('#users-body tr button').length;").await, 5);
        assert!(menu_items(&b, "b_paused").await.contains(&"resume".to_owned()));
        assert!(menu_items(&b, "c_fused").await.contains(&"resume".to_owned()));
        let active = menu_items(&b, "a_active").await;
        assert!(active.contains(&"pause".to_owned()) && !active.contains(&"resume".to_owned()), "{active:?}");

        // Reset asks first; cancelling changes nothing.
        menu_action(&b, "e_exceeded", "reset").await;
        let text = b.wait_text("#confirm-text", Duration::from_secs(2), |t| t.contains("e_exceeded")).await;
        assert!(text.is_some());
        b.click(".modal-buttons button:first-child").await;
        assert_eq!(panel.api("GET", "/api/users/e_exceeded", None).json["used_bytes"], 2 << 20);

        // Renew shows the current expiry and the date it becomes.
        let expiry = format_day(day_of(now_unix()) + 20);
        menu_action(&b, "a_active", "renew").await;
        let current = b.wait_text("#renew-current", Duration::from_secs(2), |t| t.contains(&expiry)).await;
        assert!(current.is_some_and(|t| t.contains("20 days left")));
        let result = b.wait_text("#renew-result", Duration::from_secs(2), |_| true).await.unwrap();
        assert_eq!(result, format_day(day_of(now_unix()) + 50));
        b.click("#renew-ok").await;
        let toast = b.wait_text("#toast", Duration::from_secs(5), |t| t.contains("a_active")).await;
        assert!(toast.is_some_and(|t| t.contains("Renew")), "the toast names user and action");
        assert_eq!(panel.api("GET", "/api/users/a_active", None).json["expires_on"], json!(result));
        // A second action replaces the toast instead of stacking another one.
        menu_action(&b, "b_paused", "resume").await;
        b.wait_text("#toast", Duration::from_secs(5), |t| t.contains("b_paused")).await.unwrap();
        assert_eq!(b.js("return document.querySelectorAll('.toast').length;").await, 1);

        // Batch buttons wait for a selection; select-all takes the page.
        let disabled = "return [...document.querySelectorAll('button[data-batch]')].map(b => b.disabled);";
        assert_eq!(b.js(disabled).await, json!([true, true, true, true]));
        b.click("#select-all").await;
        assert_eq!(b.js(disabled).await, json!([false, false, false, false]));
        let count = b.wait_text(".sel-count", Duration::from_secs(1), |t| t.starts_with('5')).await;
        assert!(count.is_some());

        // Display units: decimal on request (what operators of the original expect).
        let usage = "tr[data-user='e_exceeded'] .usage small";
        assert_eq!(b.wait_text(usage, Duration::from_secs(2), |_| true).await.unwrap(), "2.0 MiB / 1.0 MiB");
        b.click("#units-toggle").await;
        let decimal = b.wait_text(usage, Duration::from_secs(2), |t| t.contains("MB")).await;
        assert_eq!(decimal.as_deref(), Some("2.1 MB / 1.0 MB"));

        // Empty state when a search matches nothing.
        b.type_into("#user-search", "nobody-here").await;
        let empty = b.wait_text("#users-empty", Duration::from_secs(2), |t| !t.is_empty()).await;
        assert!(empty.is_some_and(|t| t.contains("No user matches")));
        b.screenshot("users-menu-en.png").await;
        b.quit().await;
    });
}

#[test]
fn ui_browser_add_user_dialog_fits_900px_enforces_the_password_rule_and_allows_never_expires() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    // The card names where customers connect: the public address from Settings.
    let public = json!({ "host": "vps.example.net", "sni": "", "wss_port": 80, "wss_tls_port": 443,
        "stunnel_port": 444, "udpgw_port": 7300 });
    assert_eq!(panel.api("PUT", "/api/public-address", Some(public)).status, 200);
    runtime().block_on(async {
        let Some(b) = Browser::start().await else { return };
        b.client.set_window_size(1366, 900).await.unwrap();
        log_in(&b, &panel.url).await;
        b.js("localStorage.setItem('lang', 'en');").await;
        b.client.goto(&format!("{}/#users", panel.url)).await.unwrap();
        let empty = b.wait_text("#users-empty", Duration::from_secs(5), |t| t.contains("No users yet")).await;
        assert!(empty.is_some(), "an empty panel says what to do");
        b.click("#add-user").await;
        b.wait_for("#f-username").await;
        b.screenshot("add-user-dialog.png").await;
        let fits = b
            .js("const d = document.querySelector('dialog.modal'); const r = d.getBoundingClientRect();
                 return [r.height <= window.innerHeight, d.scrollHeight <= d.clientHeight + 1];")
            .await;
        assert_eq!(fits, json!([true, true]), "the whole dialog fits a 900 px screen");
        let hints = b.js("return document.querySelector('dialog.modal').textContent;").await;
        let hints = hints.as_str().unwrap();
        assert!(hints.contains("At least 8 characters") && hints.contains("port 444"), "fields explained");

        // A 3-character password: refused next to the field, nothing created.
        b.type_into("#f-username", "newbie").await;
        b.type_into("#f-password", "abc").await;
        b.click("#dialog-save").await;
        let err = b.wait_text("#err-password", Duration::from_secs(2), |t| !t.is_empty()).await;
        assert!(err.is_some_and(|t| t.contains("at least 8")));
        assert_eq!(panel.api("GET", "/api/users/newbie", None).status, 404);

        // Never expires.
        b.type_into("#f-password", "newbie-pass-1").await;
        b.click("#f-never").await;
        assert_eq!(b.js("return document.querySelector('#f-days').disabled;").await, true);
        b.click("#dialog-save").await;
        b.wait_for("tr[data-user='newbie']").await;
        // Next step for the seller: the customer's card, with the password already in it.
        let card = b.wait_text("#card-payload", Duration::from_secs(5), |t| t.contains("Basic ")).await;
        assert!(
            card.is_some_and(|t| t.contains(&base64_of("newbie:newbie-pass-1"))),
            "the card carries the new password"
        );
        b.click("dialog.modal .modal-buttons button").await;
        let user = panel.api("GET", "/api/users/newbie", None);
        assert_eq!(user.json["expires_on"], serde_json::Value::Null, "{:?}", user.json);
        let cell = b.wait_text("tr[data-user='newbie'] .c-days_left", Duration::from_secs(2), |_| true).await;
        assert_eq!(cell.as_deref(), Some("never"));
        b.quit().await;
    });
}

#[test]
fn ui_browser_every_view_at_desktop_and_phone_in_light_and_dark_without_sideways_scroll() {
    // Nothing listens on the internal SSH port: the dashboard must say so, with the fix.
    let closed_port = crate::helpers::sshd::free_port();
    let dir = PanelDir::new(json!({ "internal_forward_port": closed_port }));
    seed(&dir);
    let mut panel = dir.start();
    // Each view with an element that exists once its data has arrived.
    let views = [
        ("dashboard", "#services tr"),
        ("users", "#users-body tr[data-user]"),
        ("tunnels", "#tunnels-body tr"),
        ("nodes", "#nodes-body tr"),
        ("payload", "#p-out"),
        ("hosts", "#hosts-text"),
        ("security", "#bans-body tr"),
        ("settings", "#audit-body tr"),
    ];
    runtime().block_on(async {
        let Some(b) = Browser::start().await else { return };
        b.client.goto(&format!("{}/login.html#password-changed", panel.url)).await.unwrap();
        let note = b.wait_text("#login-note", Duration::from_secs(3), |t| !t.is_empty()).await;
        assert!(note.is_some(), "the login page says the password changed");
        b.screenshot("view-login-desktop-light.png").await;
        log_in(&b, &panel.url).await;
        let alert = b.wait_text("#alerts [data-alert='sshd']", Duration::from_secs(10), |t| t.contains("502")).await;
        assert!(alert.is_some_and(|t| t.contains(&closed_port.to_string()) && t.contains("systemctl start ssh")));
        // The test panel runs the recording backend, as `up` does: a trial banner, no
        // Restart buttons that would only pretend.
        let trial = b.wait_text("#trial-banner", Duration::from_secs(5), |t| !t.is_empty()).await;
        assert!(trial.is_some(), "trial banner shown");
        b.wait_for("#services tr").await;
        assert_eq!(b.js("return document.querySelectorAll('#services button').length;").await, 0);
        for theme in ["light", "dark"] {
            b.js(&format!("localStorage.setItem('theme', '{theme}');")).await;
            for (size, (w, h)) in [("desktop", (1366, 900)), ("phone", (390, 844))] {
                b.client.set_window_size(w, h).await.unwrap();
                for (view, loaded) in views {
                    // A query string forces a full load, so the theme applies from the start.
                    b.client.goto(&format!("{}/?shot={theme}{size}#{view}", panel.url)).await.unwrap();
                    b.wait_for(&format!("#view[data-view='{view}'] > *")).await;
                    b.wait_for("#live-light[data-state='live']").await;
                    b.wait_for(loaded).await;
                    let seen = b.js("return [document.documentElement.dataset.theme, getComputedStyle(document.documentElement).colorScheme, document.documentElement.scrollWidth - window.innerWidth];").await;
                    assert_eq!(seen[0], theme, "{view}");
                    assert_eq!(seen[1], theme, "native controls follow the theme ({view})");
                    assert!(seen[2].as_i64().unwrap() <= 0, "{view} at {size} scrolls sideways by {}", seen[2]);
                    b.screenshot(&format!("view-{view}-{size}-{theme}.png")).await;
                }
            }
        }
        // The live connection drops: a banner says so while the page tries again.
        assert_eq!(b.js("return document.querySelector('#conn-banner').hidden;").await, true);
        panel.kill9();
        let banner = b.wait_text("#conn-banner", Duration::from_secs(5), |t| !t.is_empty()).await;
        assert!(banner.is_some_and(|t| t.contains("重连")), "reconnect banner shown");
        b.screenshot("view-settings-phone-dark-disconnected.png").await;
        b.quit().await;
    });
}
