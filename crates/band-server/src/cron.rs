//! Cronjobs' adapters and driver: [`CronerCalendar`] (band-core's `CronCalendar` on croner and
//! jiff, with the system's time zone database) and [`run_scheduler`], the background task that
//! catches up once at start and then ticks the scheduler every [`TICK`].

use std::sync::Arc;
use std::time::Duration;

use band_core::Millis;
use band_core::ports::CronCalendar;
use band_core::services::Cronjobs;
use croner::parser::CronParser;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// How often the scheduler looks for due jobs and follows open runs.
pub const TICK: Duration = Duration::from_millis(500);

/// Cron expressions with croner: 5 fields (minute hour day-of-month month day-of-week) or 6 with
/// seconds first, names (`MON`, `JAN`), ranges, steps, `L`, `W`, `#`; time zones by IANA name.
#[derive(Debug, Default)]
pub struct CronerCalendar;

const HOW: &str = "write 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first; e.g. '0 9 * * 1-5' (9:00 on weekdays) or '*/15 * * * *'";

fn parse(expr: &str) -> Result<croner::Cron, String> {
    CronParser::builder()
        .build()
        .parse(expr)
        .map_err(|e| format!("invalid cron expression '{}': {e}; {HOW}", band_core::shown(expr)))
}

fn zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name).map_err(|_| {
        format!(
            "unknown time zone '{}'; use an IANA name such as 'Europe/Berlin', 'America/New_York' or 'UTC'",
            band_core::shown(name)
        )
    })
}

impl CronCalendar for CronerCalendar {
    fn check(&self, expr: &str, zone_name: &str) -> Result<(), String> {
        let cron = parse(expr)?;
        let tz = zone(zone_name)?;
        let now = Timestamp::now().to_zoned(tz);
        cron.find_next_occurrence(&now, false)
            .map(|_| ())
            .map_err(|e| format!("the cron expression '{}' never matches: {e}; {HOW}", band_core::shown(expr)))
    }

    fn next_after(&self, expr: &str, zone_name: &str, after: Millis) -> Option<Millis> {
        let cron = parse(expr).ok()?;
        let tz = zone(zone_name).ok()?;
        let from = Timestamp::from_millisecond(after).ok()?.to_zoned(tz);
        let next = cron.find_next_occurrence(&from, false).ok()?;
        Some(next.timestamp().as_millisecond())
    }

    fn default_zone(&self) -> String {
        TimeZone::system().iana_name().unwrap_or("UTC").to_owned()
    }
}

/// Catches up on runs missed while band-server was down, then ticks until `stop` resolves. A
/// failed tick is logged and the next one tries again.
pub async fn run_scheduler(cronjobs: Cronjobs, stop: impl std::future::Future<Output = ()>) {
    match cronjobs.catch_up().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(jobs = n, "cronjobs had runs due while band-server was down"),
        Err(e) => tracing::error!(error = %e, "catching up on missed cronjob runs failed"),
    }
    tokio::pin!(stop);
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = ticks.tick() => {
                if let Err(e) = cronjobs.tick().await {
                    tracing::error!(error = %e, "cronjob tick failed");
                }
            }
        }
    }
}

/// The current time for the scheduler.
pub fn system_clock() -> Arc<dyn band_core::ports::Clock> {
    Arc::new(crate::access::SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-29 00:30 UTC: the night Europe/Berlin moves from +01:00 to +02:00 at 02:00 local.
    const DST_NIGHT: Millis = 1_774_744_200_000;

    #[test]
    fn cron_expressions_follow_their_time_zone_across_a_clock_change() {
        let c = CronerCalendar;
        c.check("30 3 * * *", "Europe/Berlin").expect("valid");
        // 03:30 Berlin on the night of the change is 01:30 UTC (+02:00).
        assert_eq!(c.next_after("30 3 * * *", "Europe/Berlin", DST_NIGHT), Some(DST_NIGHT + 3_600_000));
        // In UTC it is 03:30 UTC.
        assert_eq!(c.next_after("30 3 * * *", "UTC", DST_NIGHT), Some(DST_NIGHT + 3 * 3_600_000));
        // Seconds first, six fields.
        assert_eq!(c.next_after("*/10 * * * * *", "UTC", DST_NIGHT), Some(DST_NIGHT + 10_000));
    }

    #[test]
    fn bad_expressions_and_zones_say_how_to_write_them() {
        let c = CronerCalendar;
        let e = c.check("61 * * * *", "UTC").expect_err("minute 61");
        assert!(e.starts_with("invalid cron expression '61 * * * *'") && e.contains("e.g. '0 9 * * 1-5'"), "{e}");
        let e = c.check("every day", "UTC").expect_err("words");
        assert!(e.contains("write 5 fields"), "{e}");
        let e = c.check("0 9 * * *", "Mars/Olympus").expect_err("zone");
        assert!(e.contains("unknown time zone 'Mars/Olympus'") && e.contains("IANA"), "{e}");
        assert_eq!(c.next_after("nonsense", "UTC", 0), None);
        assert!(!c.default_zone().is_empty());
    }
}
