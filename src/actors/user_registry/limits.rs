//! How a user's limits read in the audit log: every one for a new user (`key=value ...`),
//! and for an edit only what changed, old → new. No I/O.

use crate::domain::format_day;
use crate::store::users::User;

/// The limits an admin edits, each as the audit log shows it.
fn limits_fields(u: &User) -> [(&'static str, String); 9] {
    [
        ("expires_on", u.expires_on.map(format_day).unwrap_or_else(|| "never".into())),
        ("quota_bytes", u.quota_bytes.to_string()),
        ("rate_kbps", u.rate_kbps.to_string()),
        ("max_connections", u.max_connections.to_string()),
        ("require_auth_header", u.require_auth_header.to_string()),
        ("allow_shell", u.allow_shell.to_string()),
        ("note", format!("{:?}", u.note)),
        ("quota_reset", format!("{}:{}", u.quota_reset.as_str(), u.quota_reset_day)),
        (
            "expire_after_first_use_days",
            u.expire_after_first_use_days.map(|d| d.to_string()).unwrap_or_else(|| "none".into()),
        ),
    ]
}

/// A new user's limits: `key=value ...`.
pub(super) fn limits_detail(u: &User) -> String {
    let fields = limits_fields(u).map(|(k, v)| format!("{k}={v}"));
    fields.join(" ")
}

/// What an edit changed, `rate_kbps 0 → 512, max_connections 2 → 3`; empty when nothing did.
pub(super) fn limits_diff(before: &User, after: &User) -> String {
    let pairs = limits_fields(before).into_iter().zip(limits_fields(after));
    let changed: Vec<String> =
        pairs.filter(|((_, a), (_, b))| a != b).map(|((k, a), (_, b))| format!("{k} {a} → {b}")).collect();
    changed.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserStatus;

    #[test]
    fn an_edit_lists_only_what_changed_old_to_new() {
        let before = User::blank("ann", UserStatus::Active);
        let mut after = before.clone();
        assert_eq!(limits_diff(&before, &after), "");
        after.rate_kbps = 512;
        after.note = "vip".into();
        after.expires_on = Some(20_000);
        assert_eq!(
            limits_diff(&before, &after),
            "expires_on never → 2024-10-04, rate_kbps 0 → 512, note \"\" → \"vip\""
        );
        assert!(limits_detail(&after).starts_with("expires_on=2024-10-04 quota_bytes=0 rate_kbps=512"));
    }
}
