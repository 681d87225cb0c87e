//! Plans: when a user's quota starts over (none, daily, weekly or monthly on a chosen day,
//! always at 00:00 UTC) and the rule that finds the start of the current period. No I/O.

use super::Day;
use serde::{Deserialize, Serialize};

/// How often the quota starts over. Stored by variant index: never reorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuotaReset {
    #[default]
    None,
    Daily,
    /// On a weekday: 1 = Monday .. 7 = Sunday.
    Weekly,
    /// On a day of the month, 1..=28, so every month has it.
    Monthly,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("unknown quota reset '{0}' (expected none, daily, weekly or monthly)")]
    BadReset(String),
    #[error("quota_reset_day must be 1..7 (Mon..Sun) for weekly, 1..28 for monthly, 0 otherwise")]
    BadDay,
}

impl QuotaReset {
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaReset::None => "none",
            QuotaReset::Daily => "daily",
            QuotaReset::Weekly => "weekly",
            QuotaReset::Monthly => "monthly",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, PlanError> {
        [QuotaReset::None, QuotaReset::Daily, QuotaReset::Weekly, QuotaReset::Monthly]
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or_else(|| PlanError::BadReset(raw.to_owned()))
    }

    /// Checks the day against the period: a day that never comes would silently mean
    /// "never reset", so it is refused instead.
    pub fn check_day(self, day: u8) -> Result<(), PlanError> {
        let ok = match self {
            QuotaReset::None | QuotaReset::Daily => day == 0,
            QuotaReset::Weekly => (1..=7).contains(&day),
            QuotaReset::Monthly => (1..=28).contains(&day),
        };
        if ok { Ok(()) } else { Err(PlanError::BadDay) }
    }
}

/// ISO weekday of a day number: 1 = Monday .. 7 = Sunday (1970-01-01 was a Thursday).
pub fn weekday(day: Day) -> u8 {
    ((day + 3).rem_euclid(7) + 1) as u8
}

/// The day the current period began: the latest reset day on or before `today`; `None`
/// for `QuotaReset::None` (and for a day `check_day` refuses).
pub fn period_start(reset: QuotaReset, reset_day: u8, today: Day) -> Option<Day> {
    reset.check_day(reset_day).ok()?;
    match reset {
        QuotaReset::None => None,
        QuotaReset::Daily => Some(today),
        QuotaReset::Weekly => Some(today - (weekday(today) as Day - reset_day as Day).rem_euclid(7)),
        QuotaReset::Monthly => {
            let date = time::Date::from_julian_day(today + super::UNIX_EPOCH_JULIAN_DAY).ok()?;
            let (year, month) = if date.day() >= reset_day {
                (date.year(), date.month())
            } else if date.month() == time::Month::January {
                (date.year() - 1, time::Month::December)
            } else {
                (date.year(), date.month().previous())
            };
            let start = time::Date::from_calendar_date(year, month, reset_day).ok()?;
            Some(start.to_julian_day() - super::UNIX_EPOCH_JULIAN_DAY)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{format_day, parse_day};

    fn start(reset: QuotaReset, d: u8, today: &str) -> Option<String> {
        period_start(reset, d, parse_day(today).unwrap()).map(format_day)
    }

    #[test]
    fn weekdays_are_iso() {
        assert_eq!(weekday(0), 4);
        assert_eq!(weekday(parse_day("2026-11-30").unwrap()), 1);
        assert_eq!(weekday(parse_day("2026-12-06").unwrap()), 7);
        assert_eq!(weekday(-1), 3);
    }

    #[test]
    fn none_never_starts_and_daily_starts_today() {
        assert_eq!(start(QuotaReset::None, 0, "2026-12-01"), None);
        assert_eq!(start(QuotaReset::Daily, 0, "2026-12-01").as_deref(), Some("2026-12-01"));
    }

    #[test]
    fn weekly_goes_back_to_the_chosen_weekday() {
        // 2026-12-01 is a Tuesday.
        assert_eq!(start(QuotaReset::Weekly, 2, "2026-12-01").as_deref(), Some("2026-12-01"));
        assert_eq!(start(QuotaReset::Weekly, 1, "2026-12-01").as_deref(), Some("2026-11-30"));
        assert_eq!(start(QuotaReset::Weekly, 3, "2026-12-01").as_deref(), Some("2026-11-25"));
        assert_eq!(start(QuotaReset::Weekly, 7, "2026-12-01").as_deref(), Some("2026-11-29"));
    }

    #[test]
    fn monthly_crosses_month_and_year_ends_and_day_28_exists_every_month() {
        assert_eq!(start(QuotaReset::Monthly, 1, "2026-12-01").as_deref(), Some("2026-12-01"));
        assert_eq!(start(QuotaReset::Monthly, 15, "2026-12-14").as_deref(), Some("2026-11-15"));
        assert_eq!(start(QuotaReset::Monthly, 15, "2027-01-03").as_deref(), Some("2026-12-15"));
        assert_eq!(start(QuotaReset::Monthly, 28, "2026-03-27").as_deref(), Some("2026-02-28"));
        assert_eq!(start(QuotaReset::Monthly, 28, "2024-02-29").as_deref(), Some("2024-02-28"));
        assert_eq!(start(QuotaReset::Monthly, 28, "2026-03-31").as_deref(), Some("2026-03-28"));
    }

    #[test]
    fn days_that_never_come_are_refused() {
        for (r, bad) in [(QuotaReset::Weekly, 0), (QuotaReset::Weekly, 8), (QuotaReset::Monthly, 29)] {
            assert_eq!(r.check_day(bad), Err(PlanError::BadDay));
            assert_eq!(period_start(r, bad, 20_000), None);
        }
        assert_eq!(QuotaReset::Daily.check_day(3), Err(PlanError::BadDay));
        assert!(QuotaReset::parse("yearly").is_err());
        assert_eq!(QuotaReset::parse("monthly"), Ok(QuotaReset::Monthly));
    }
}
