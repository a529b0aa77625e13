//! When a message may go out: a campaign's send window (days of the week and hours of the day in
//! the recipient's local time) and the moment each step of a sequence is due for one contact,
//! correct across daylight-saving changes.

use crate::validation::FieldError;
use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The days and local hours a campaign sends in (default Monday to Friday, 09:00 to 17:00).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendWindow {
    /// The days of the week messages may go out, in the recipient's local calendar.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>, example = json!(["Mon", "Tue", "Wed", "Thu", "Fri"])))]
    pub days: Vec<Weekday>,
    /// The local time of day sending may start.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "09:00:00"))]
    pub start: NaiveTime,
    /// The local time of day sending stops (exclusive).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "17:00:00"))]
    pub end: NaiveTime,
}

impl Default for SendWindow {
    fn default() -> Self {
        SendWindow {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
            end: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

/// The instant `date` at local `time` in `zone`. A time a daylight-saving change skips (spring
/// forward) is taken as the first instant after the gap; a time it repeats (fall back) as its
/// first occurrence.
fn instant(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Inside a gap: walk forward a minute at a time (gaps are at most a few hours).
            let mut probe = local;
            loop {
                probe += chrono::TimeDelta::minutes(1);
                if let Some(t) = zone.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
        }
    }
}

impl SendWindow {
    /// Checks the window: at least one day, no day twice, and `start` before `end`.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.days.is_empty() {
            return Err(FieldError::new(
                "send_window.days",
                "must name at least one day of the week",
            ));
        }
        if (1..self.days.len()).any(|i| self.days[..i].contains(&self.days[i])) {
            return Err(FieldError::new(
                "send_window.days",
                "names a day more than once; name each day once",
            ));
        }
        if self.start >= self.end {
            return Err(FieldError::new(
                "send_window.end",
                format!("must come after start ({}); got {}", self.start, self.end),
            ));
        }
        Ok(())
    }

    /// The first instant at or after `earliest` that lies inside the window in `zone`.
    pub fn next_open(&self, earliest: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
        let first_day = earliest.with_timezone(&zone).date_naive();
        for ahead in 0..=7u64 {
            let Some(day) = first_day.checked_add_days(Days::new(ahead)) else {
                break;
            };
            if !self.days.contains(&day.weekday()) {
                continue;
            }
            let opens = instant(zone, day, self.start);
            let closes = instant(zone, day, self.end);
            let candidate = opens.max(earliest);
            if candidate < closes {
                return candidate;
            }
        }
        // Unreachable for a validated window (some day of the next week is open).
        earliest
    }

    /// When step `day_offset` of a sequence goes to a contact in `zone`, for a campaign that
    /// started at `campaign_start`: on the local day `day_offset` days after the start's local
    /// day (the start itself for step 0), at the first moment the window is open from then on.
    pub fn step_due(
        &self,
        campaign_start: DateTime<Utc>,
        day_offset: u32,
        zone: Tz,
    ) -> DateTime<Utc> {
        let start_day = campaign_start.with_timezone(&zone).date_naive();
        let earliest = if day_offset == 0 {
            campaign_start
        } else {
            match start_day.checked_add_days(Days::new(u64::from(day_offset))) {
                Some(day) => instant(zone, day, NaiveTime::MIN).max(campaign_start),
                None => campaign_start,
            }
        };
        self.next_open(earliest, zone)
    }

    /// When each step of a sequence (by its day offset, in order) goes to one contact in
    /// `zone`, planned at `now` for a campaign that started at `campaign_start`. Each step is
    /// due at its own [`SendWindow::step_due`], but never before `now` (the first) nor before
    /// the step ahead of it plus their gap in the plan, and at least `min_gap_days` after it: a
    /// late start sends the first overdue step now and keeps the rest spaced from it.
    pub fn plan_steps(
        &self,
        campaign_start: DateTime<Utc>,
        days: &[u32],
        zone: Tz,
        now: DateTime<Utc>,
        min_gap_days: u32,
    ) -> Vec<DateTime<Utc>> {
        let mut planned: Vec<DateTime<Utc>> = Vec::with_capacity(days.len());
        let mut previous: Option<(DateTime<Utc>, u32)> = None;
        for &day in days {
            let due = self.step_due(campaign_start, day, zone);
            let at = match previous {
                None => self.next_open(due.max(now), zone),
                Some((at, previous_day)) => {
                    let gap = day.saturating_sub(previous_day).max(min_gap_days);
                    due.max(self.step_due(at, gap, zone))
                }
            };
            planned.push(at);
            previous = Some((at, day));
        }
        planned
    }

    /// The earliest a step may go when the step ahead of it went at `previous_sent`: `gap_days`
    /// local days later, at the window's first opening.
    pub fn after_gap(
        &self,
        previous_sent: DateTime<Utc>,
        gap_days: u32,
        zone: Tz,
    ) -> DateTime<Utc> {
        self.step_due(previous_sent, gap_days, zone)
    }
}

/// Whole local days in `zone` from `earlier` to `later` (0 when `later` is not after it).
pub fn local_days_between(earlier: DateTime<Utc>, later: DateTime<Utc>, zone: Tz) -> u32 {
    let days = (later.with_timezone(&zone).date_naive()
        - earlier.with_timezone(&zone).date_naive())
    .num_days();
    u32::try_from(days.max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn local_in_window(window: &SendWindow, at: DateTime<Utc>, zone: Tz) -> bool {
        let local = at.with_timezone(&zone);
        window.days.contains(&local.weekday())
            && local.time() >= window.start
            && local.time() < window.end
    }

    #[test]
    fn the_default_window_is_weekdays_nine_to_five_and_valid() {
        let window = SendWindow::default();
        window.validate().unwrap();
        assert_eq!(window.days.len(), 5);
        assert_eq!((window.start.hour(), window.end.hour()), (9, 17));
        let backwards = SendWindow {
            start: window.end,
            end: window.start,
            ..window.clone()
        };
        assert_eq!(backwards.validate().unwrap_err().field, "send_window.end");
        let none = SendWindow {
            days: vec![],
            ..window.clone()
        };
        assert_eq!(none.validate().unwrap_err().field, "send_window.days");
    }

    #[test]
    fn a_closed_window_waits_for_the_next_open_day() {
        let window = SendWindow::default();
        let london = chrono_tz::Europe::London;
        // Friday 2027-03-05 16:59 GMT is inside; 17:00 waits for Monday 09:00.
        let friday = utc("2027-03-05T16:59:00Z");
        assert_eq!(window.next_open(friday, london), friday);
        assert_eq!(
            window.next_open(utc("2027-03-05T17:00:00Z"), london),
            utc("2027-03-08T09:00:00Z")
        );
        // Before opening on a weekday: that day's 09:00.
        assert_eq!(
            window.next_open(utc("2027-03-09T03:00:00Z"), london),
            utc("2027-03-09T09:00:00Z")
        );
    }

    #[test]
    fn steps_follow_the_local_calendar_across_the_spring_clock_change() {
        let window = SendWindow::default();
        let london = chrono_tz::Europe::London;
        // Started Thursday 2027-03-25 at 10:00 GMT; the clocks go forward on Sunday 28 March.
        let start = utc("2027-03-25T10:00:00Z");
        assert_eq!(window.step_due(start, 0, london), start);
        // Day 1: Friday 09:00 GMT.
        assert_eq!(
            window.step_due(start, 1, london),
            utc("2027-03-26T09:00:00Z")
        );
        // Day 3 is Sunday: Monday 09:00 BST, which is 08:00 UTC.
        assert_eq!(
            window.step_due(start, 3, london),
            utc("2027-03-29T08:00:00Z")
        );
        assert_eq!(
            window.step_due(start, 4, london),
            utc("2027-03-29T08:00:00Z")
        );
    }

    #[test]
    fn every_step_lands_inside_the_window_in_each_contacts_zone() {
        let window = SendWindow::default();
        let zones = [
            chrono_tz::Pacific::Auckland,
            chrono_tz::America::Los_Angeles,
            chrono_tz::Europe::London,
            chrono_tz::Asia::Kolkata,
        ];
        let mut start = utc("2027-03-20T00:17:00Z");
        while start < utc("2027-04-10T00:00:00Z") {
            for zone in zones {
                let start_day = start.with_timezone(&zone).date_naive();
                let mut previous = start;
                for offset in [0u32, 1, 2, 3, 7, 14] {
                    let due = window.step_due(start, offset, zone);
                    assert!(
                        local_in_window(&window, due, zone),
                        "{zone} {start} +{offset}: {due}"
                    );
                    assert!(
                        due >= previous,
                        "{zone} {start} +{offset}: {due} before {previous}"
                    );
                    let due_day = due.with_timezone(&zone).date_naive();
                    assert!(
                        (due_day - start_day).num_days() >= i64::from(offset),
                        "{zone} {start} +{offset}: {due}"
                    );
                    previous = due;
                }
            }
            start += chrono::TimeDelta::minutes(397);
        }
    }

    #[test]
    fn a_window_opening_inside_a_skipped_hour_opens_when_the_clock_resumes() {
        let window = SendWindow {
            days: vec![Weekday::Sun],
            start: NaiveTime::from_hms_opt(1, 30, 0).unwrap(),
            end: NaiveTime::from_hms_opt(5, 0, 0).unwrap(),
        };
        let london = chrono_tz::Europe::London;
        // 01:30 does not exist in London on 2027-03-28: the window opens at 02:00 BST (01:00 UTC).
        assert_eq!(
            window.next_open(utc("2027-03-27T23:00:00Z"), london),
            utc("2027-03-28T01:00:00Z")
        );
    }

    #[test]
    fn a_late_start_sends_the_first_overdue_step_now_and_keeps_the_rest_spaced() {
        let window = SendWindow::default();
        let zone: Tz = "Europe/London".parse().unwrap();
        // Planned for Monday 1 March 2027, looked at eleven days later (Friday 12th, 11:00).
        let start = utc("2027-03-01T10:00:00Z");
        let now = utc("2027-03-12T11:00:00Z");
        let planned = window.plan_steps(start, &[0, 4, 10], zone, now, 1);
        assert_eq!(planned[0], now, "the first overdue step goes now");
        assert_eq!(
            local_days_between(planned[0], planned[1], zone),
            4,
            "the plan's gap is kept"
        );
        assert!(planned[1] >= now + chrono::TimeDelta::days(3));
        assert_eq!(local_days_between(planned[1], planned[2], zone), 6);
        for at in &planned {
            assert!(
                window.next_open(*at, zone) == *at,
                "{at} is inside the window"
            );
        }
        // On time, the plan is each step's own due time.
        let on_time = window.plan_steps(start, &[0, 4, 10], zone, start, 1);
        let own: Vec<_> = [0, 4, 10]
            .iter()
            .map(|d| window.step_due(start, *d, zone))
            .collect();
        assert_eq!(on_time, own);
        // Two steps on the same day are a minimum gap apart, or together with no minimum.
        let same_day = window.plan_steps(start, &[0, 0], zone, start, 1);
        assert_eq!(local_days_between(same_day[0], same_day[1], zone), 1);
        let together = window.plan_steps(start, &[0, 0], zone, start, 0);
        assert_eq!(together[0], together[1]);
    }

    #[test]
    fn the_gap_after_a_sent_step_counts_local_days() {
        let window = SendWindow::default();
        let zone: Tz = "America/Chicago".parse().unwrap();
        let sent = utc("2027-03-01T20:00:00Z");
        let next = window.after_gap(sent, 4, zone);
        assert_eq!(local_days_between(sent, next, zone), 4);
        assert!(next > sent);
        assert_eq!(local_days_between(next, sent, zone), 0);
    }
}
