//! `--reset` (none, daily, weekly:N, monthly:N): the quota reset rule as one CLI word, checked
//! here with the same rule the API uses, so a typo exits before anything is sent.

use crate::domain::plan::QuotaReset;

/// The rule and its day (0 for none and daily).
pub fn parse(raw: &str) -> Result<(QuotaReset, u8), String> {
    let (rule, day) = match raw.split_once(':') {
        Some((rule, day)) => {
            let day = day.parse::<u8>().map_err(|_| format!("'{day}' is not a day number"))?;
            (rule, day)
        }
        None => (raw, 0),
    };
    let rule = QuotaReset::parse(rule).map_err(|e| e.to_string())?;
    rule.check_day(day).map_err(|e| format!("{e} (e.g. weekly:1 for Mondays, monthly:28)"))?;
    Ok((rule, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_words_parse_and_days_are_checked() {
        assert_eq!(parse("none"), Ok((QuotaReset::None, 0)));
        assert_eq!(parse("daily"), Ok((QuotaReset::Daily, 0)));
        assert_eq!(parse("weekly:7"), Ok((QuotaReset::Weekly, 7)));
        assert_eq!(parse("monthly:28"), Ok((QuotaReset::Monthly, 28)));
        for bad in ["weekly", "weekly:8", "monthly:29", "monthly:x", "daily:3", "yearly", ""] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
