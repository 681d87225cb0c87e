//! The plan fields of the add/edit user dialog (issue 12, part 5) in real headless Chromium:
//! the quota reset period and day and "days valid after first use" are set in the dialog,
//! saved, and read back through the API and in the row's plan column; editing changes them.

use crate::helpers::PanelDir;
use crate::helpers::browser::Browser;
use crate::ui_browser::{log_in, runtime};
use crate::ui_users_page::menu_action;
use fantoccini::Locator;
use serde_json::{Value, json};
use std::time::Duration;

async fn choose(b: &Browser, css: &str, value: &str) {
    b.wait_for(css).await.select_by_value(value).await.unwrap();
}

/// The plan column's text of `user` once it satisfies `want`.
async fn plan_cell(b: &Browser, user: &str, want: impl Fn(&str) -> bool) -> Option<String> {
    b.wait_text(&format!("tr[data-user='{user}'] .c-plan"), Duration::from_secs(5), want).await
}

#[test]
fn ui_browser_plan_fields_set_in_the_dialog_reach_the_api_and_the_row() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    runtime().block_on(async {
        let Some(b) = Browser::start().await else { return };
        log_in(&b, &panel.url).await;
        b.js("localStorage.setItem('lang', 'en');").await;
        b.client.goto(&format!("{}/#users", panel.url)).await.unwrap();
        // The plan column is optional: chosen in the columns menu.
        b.click("#columns summary").await;
        b.click("#columns input[data-col='plan']").await;
        b.wait_for("th[data-sort='plan']").await;
        b.click("#columns summary").await;
        b.click("#add-user").await;
        b.type_into("#f-username", "planned").await;
        b.type_into("#f-password", "planned-pass-1").await;
        choose(&b, "#f-quota-reset", "monthly").await;
        b.type_into("#f-reset-day", "15").await;
        b.type_into("#f-first-use", "30").await;
        // The expiry starts at the first connection: no days field with it.
        assert_eq!(b.js("return document.querySelector('#f-days').disabled;").await, true);
        b.click("#dialog-save").await;
        b.wait_for("tr[data-user='planned']").await;
        // The card that follows a new user.
        b.wait_for("#card-payload").await;
        b.click("dialog.modal .modal-buttons button").await;

        let user = panel.api("GET", "/api/users/planned", None).json;
        assert_eq!(user["quota_reset"], "monthly", "{user}");
        assert_eq!(user["quota_reset_day"], 15, "{user}");
        assert_eq!(user["expire_after_first_use_days"], 30, "{user}");
        assert_eq!((&user["first_used_at"], &user["expires_on"]), (&Value::Null, &Value::Null), "{user}");
        let cell = plan_cell(&b, "planned", |t| t.contains("monthly (15)")).await;
        assert!(
            cell.as_deref().is_some_and(|t| t.contains("Days valid after first use: 30 (not used yet)")),
            "{cell:?}"
        );

        // Edit: the dialog shows the plan, and a change is saved.
        menu_action(&b, "planned", "edit").await;
        b.wait_for("#f-quota-reset").await;
        let shown = b
            .js("return ['#f-quota-reset', '#f-reset-day', '#f-first-use'].map(s => document.querySelector(s).value);")
            .await;
        assert_eq!(shown, json!(["monthly", "15", "30"]));
        choose(&b, "#f-quota-reset", "weekly").await;
        b.type_into("#f-reset-day", "3").await;
        b.wait_for("#f-first-use").await.clear().await.unwrap();
        b.click("#dialog-save").await;
        let cell = plan_cell(&b, "planned", |t| t.contains("weekly (3)")).await;
        assert_eq!(cell.as_deref(), Some("weekly (3)"), "first use gone from the row");
        let user = panel.api("GET", "/api/users/planned", None).json;
        assert_eq!((&user["quota_reset"], &user["quota_reset_day"]), (&json!("weekly"), &json!(3)), "{user}");
        assert!(user["expire_after_first_use_days"].as_u64().unwrap_or(0) == 0, "{user}");
        assert!(b.client.find(Locator::Css("dialog.modal[open]")).await.is_err(), "the dialog closed");
        b.quit().await;
    });
}
