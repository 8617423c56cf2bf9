//! The next run of a pg_cron schedule, so that `qbsync.status` can say when the next scheduled
//! sync is. pg_cron (1.4, as Debian ships it for PostgreSQL 15) evaluates schedules in UTC with
//! Vixie-cron rules, which is what croner implements.

use pgrx::prelude::*;
use std::str::FromStr;

/// The first time after `after_epoch` (Unix seconds) that `schedule` fires, as Unix seconds;
/// NULL when the schedule is not a cron expression croner understands (e.g. `@reboot`).
#[pg_extern(immutable, parallel_safe, strict)]
fn _cron_next_epoch(schedule: &str, after_epoch: f64) -> Option<f64> {
    next_after(schedule, after_epoch)
}

fn next_after(schedule: &str, after_epoch: f64) -> Option<f64> {
    let cron = croner::Cron::from_str(schedule.trim()).ok()?;
    let secs = after_epoch.floor() as i64;
    let after = chrono::DateTime::from_timestamp(secs, 0)?;
    let next = cron.find_next_occurrence(&after, false).ok()?;
    Some(next.timestamp() as f64)
}

#[cfg(test)]
mod tests {
    use super::next_after;

    fn at(s: &str) -> f64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("time")
            .timestamp() as f64
    }

    #[test]
    fn every_two_hours_fires_on_the_next_even_hour() {
        assert_eq!(
            next_after("0 */2 * * *", at("2026-11-22T09:15:00Z")),
            Some(at("2026-11-22T10:00:00Z"))
        );
        // Strictly after: a time on the schedule gives the following one.
        assert_eq!(
            next_after("0 */2 * * *", at("2026-11-22T10:00:00Z")),
            Some(at("2026-11-22T12:00:00Z"))
        );
    }

    #[test]
    fn day_of_month_and_weekday_are_either_as_in_vixie_cron() {
        // 2026-11-22 is a Sunday: "the 1st or a Monday" fires on Monday the 23rd.
        assert_eq!(
            next_after("0 0 1 * 1", at("2026-11-22T09:00:00Z")),
            Some(at("2026-11-23T00:00:00Z"))
        );
    }

    #[test]
    fn nicknames_and_garbage() {
        assert_eq!(
            next_after("@daily", at("2026-11-22T09:00:00Z")),
            Some(at("2026-11-23T00:00:00Z"))
        );
        assert_eq!(
            next_after("not a schedule", at("2026-11-22T09:00:00Z")),
            None
        );
        assert_eq!(next_after("61 * * * *", at("2026-11-22T09:00:00Z")), None);
    }
}
