//! Charts drawn on the server as SVG (no script, nothing to download): the forecast fan chart
//! and results over time against the forecast. Each chart has a title and a description, and
//! its page shows the same numbers in a table.

use crate::layout::number;
use maud::{Markup, html};

/// One funnel stage's forecast and what has been observed.
#[derive(Debug, Clone, PartialEq)]
pub struct StageBand {
    /// Stage name.
    pub stage: String,
    /// Median.
    pub median: f64,
    /// 80% interval.
    pub low_80: f64,
    /// 80% interval.
    pub high_80: f64,
    /// 95% interval.
    pub low_95: f64,
    /// 95% interval.
    pub high_95: f64,
    /// Observed so far.
    pub observed: Option<f64>,
}

const WIDTH: f64 = 760.0;
const LEFT: f64 = 110.0;
const RIGHT: f64 = 40.0;
const ROW: f64 = 64.0;

fn scale_max(band: &StageBand) -> f64 {
    let top = band.high_95.max(band.observed.unwrap_or(0.0)).max(1.0);
    top * 1.08
}

/// The fan chart: a row per stage on its own scale with the 95% and 80% bands, the median and
/// the observed value.
pub fn fan_chart(bands: &[StageBand]) -> Markup {
    let height = ROW * bands.len() as f64 + 30.0;
    let span = WIDTH - LEFT - RIGHT;
    html! {
        svg #fan-chart .chart role="img" viewBox={ "0 0 " (WIDTH) " " (height) } aria-labelledby="fan-title fan-desc" {
            title #fan-title { "Forecast per funnel stage" }
            desc #fan-desc {
                @for b in bands {
                    (b.stage) ": median " (number(b.median, 0)) ", 80% from " (number(b.low_80, 0)) " to " (number(b.high_80, 0))
                    ", 95% from " (number(b.low_95, 0)) " to " (number(b.high_95, 0))
                    @if let Some(o) = b.observed { ", observed " (number(o, 0)) } ". "
                }
            }
            @for (i, b) in bands.iter().enumerate() {
                @let top = 10.0 + ROW * i as f64;
                @let max = scale_max(b);
                @let x = |v: f64| LEFT + span * (v.max(0.0) / max);
                g .stage data-stage=(b.stage) {
                    text x="8" y=(top + 26.0) { (b.stage) }
                    line .axis x1=(LEFT) x2=(LEFT + span) y1=(top + 40.0) y2=(top + 40.0) {}
                    rect .band95 x=(x(b.low_95)) y=(top + 12.0) width=((x(b.high_95) - x(b.low_95)).max(1.0)) height="22" {}
                    rect .band80 x=(x(b.low_80)) y=(top + 12.0) width=((x(b.high_80) - x(b.low_80)).max(1.0)) height="22" {}
                    line .median x1=(x(b.median)) x2=(x(b.median)) y1=(top + 8.0) y2=(top + 38.0) {}
                    text x=(LEFT) y=(top + 54.0) { "0" }
                    text x=(LEFT + span) y=(top + 54.0) text-anchor="end" { (number(max, 0)) }
                    text x=(x(b.median)) y=(top + 6.0) text-anchor="middle" { (number(b.median, 0)) }
                    @if let Some(o) = b.observed {
                        circle .observed cx=(x(o)) cy=(top + 23.0) r="7" data-stage=(b.stage) data-value=(o) {
                            title { "Observed " (b.stage) ": " (number(o, 0)) }
                        }
                    }
                }
            }
        }
    }
}

/// Cumulative results of one stage by day, and the forecast they are held against.
#[derive(Debug, Clone, PartialEq)]
pub struct StageSeries {
    /// Stage name.
    pub stage: String,
    /// `(day label, cumulative value)` in date order.
    pub points: Vec<(String, f64)>,
    /// The forecast of the campaign's total.
    pub band: StageBand,
}

/// Results over time: per stage, the cumulative observed line against the forecast total's
/// 80% and 95% bands.
pub fn results_chart(series: &[StageSeries]) -> Markup {
    const PANEL: f64 = 150.0;
    let height = PANEL * series.len() as f64 + 20.0;
    let span = WIDTH - LEFT - RIGHT;
    html! {
        svg #results-chart .chart role="img" viewBox={ "0 0 " (WIDTH) " " (height) } aria-labelledby="results-title results-desc" {
            title #results-title { "Results over time against the forecast" }
            desc #results-desc {
                @for s in series {
                    (s.stage) ": " (number(s.points.last().map_or(0.0, |p| p.1), 0)) " so far against a forecast of "
                    (number(s.band.median, 0)) " (80% " (number(s.band.low_80, 0)) "–" (number(s.band.high_80, 0)) "). "
                }
            }
            @for (i, s) in series.iter().enumerate() {
                @let top = 10.0 + PANEL * i as f64;
                @let max = scale_max(&StageBand { observed: s.points.last().map(|p| p.1), ..s.band.clone() });
                @let y = |v: f64| top + 110.0 - 100.0 * (v.max(0.0) / max);
                @let n = s.points.len().max(2) as f64 - 1.0;
                @let x = |k: usize| LEFT + span * (k as f64 / n);
                g .series data-stage=(s.stage) {
                    text x="8" y=(top + 60.0) { (s.stage) }
                    rect .band95 x=(LEFT) width=(span) y=(y(s.band.high_95)) height=((y(s.band.low_95) - y(s.band.high_95)).max(1.0)) {}
                    rect .band80 x=(LEFT) width=(span) y=(y(s.band.high_80)) height=((y(s.band.low_80) - y(s.band.high_80)).max(1.0)) {}
                    line .median x1=(LEFT) x2=(LEFT + span) y1=(y(s.band.median)) y2=(y(s.band.median)) {}
                    line .axis x1=(LEFT) x2=(LEFT + span) y1=(top + 110.0) y2=(top + 110.0) {}
                    line .axis x1=(LEFT) x2=(LEFT) y1=(top + 10.0) y2=(top + 110.0) {}
                    text x=(LEFT - 6.0) y=(top + 14.0) text-anchor="end" { (number(max, 0)) }
                    text x=(LEFT - 6.0) y=(top + 110.0) text-anchor="end" { "0" }
                    polyline .observed-line points=(s.points.iter().enumerate().map(|(k, p)| format!("{:.1},{:.1}", x(k), y(p.1))).collect::<Vec<_>>().join(" ")) {}
                    @for (k, p) in s.points.iter().enumerate() {
                        circle .observed-point cx=(x(k)) cy=(y(p.1)) r="3" { title { (p.0) ": " (number(p.1, 0)) } }
                    }
                    @if let (Some(first), Some(last)) = (s.points.first(), s.points.last()) {
                        text x=(LEFT) y=(top + 126.0) { (first.0) }
                        text x=(LEFT + span) y=(top + 126.0) text-anchor="end" { (last.0) }
                    }
                }
            }
        }
    }
}

/// Dash patterns telling arms apart without relying on colour.
const DASHES: [&str; 4] = ["", "8 4", "2 3", "10 3 2 3"];

/// Shares (0 to 1) of each arm over a test's refreshes: one line per arm, oldest refresh left.
/// `points[k][arm]` is arm's share at refresh `k`; `labels[k]` names the refresh.
pub fn shares_chart(id: &str, title: &str, labels: &[String], points: &[Vec<f64>]) -> Markup {
    const HEIGHT: f64 = 190.0;
    let arms = points.iter().map(Vec::len).max().unwrap_or(0);
    let span = WIDTH - LEFT - RIGHT;
    let n = points.len().max(2) as f64 - 1.0;
    let x = |k: usize| LEFT + span * (k as f64 / n);
    let y = |v: f64| 20.0 + 140.0 * (1.0 - v.clamp(0.0, 1.0));
    html! {
        svg id=(id) .chart role="img" viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } aria-label=(title) {
            title { (title) }
            @for tick in [0.0, 0.5, 1.0] {
                line .grid x1=(LEFT) x2=(LEFT + span) y1=(y(tick)) y2=(y(tick)) {}
                text x=(LEFT - 6.0) y=(y(tick) + 4.0) text-anchor="end" { (format!("{:.0}%", tick * 100.0)) }
            }
            @for arm in 0..arms {
                polyline .arm-line .{"arm-" (arm % 4)} stroke-dasharray=[(!DASHES[arm % 4].is_empty()).then_some(DASHES[arm % 4])]
                    points=(points.iter().enumerate().filter_map(|(k, p)| p.get(arm).map(|v| format!("{:.1},{:.1}", x(k), y(*v)))).collect::<Vec<_>>().join(" ")) {}
                @if let Some(last) = points.last().and_then(|p| p.get(arm)) {
                    text x=(LEFT + span + 4.0) y=(y(*last) + 4.0) { "V" (arm + 1) }
                }
            }
            @if let (Some(first), Some(last)) = (labels.first(), labels.last()) {
                text x=(LEFT) y=(HEIGHT - 8.0) { (first) }
                text x=(LEFT + span) y=(HEIGHT - 8.0) text-anchor="end" { (last) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(observed: Option<f64>) -> StageBand {
        StageBand {
            stage: "clicks".into(),
            median: 100.0,
            low_80: 80.0,
            high_80: 120.0,
            low_95: 60.0,
            high_95: 150.0,
            observed,
        }
    }

    #[test]
    fn the_observed_value_is_drawn_with_its_number_and_within_the_chart() {
        let svg = fan_chart(&[band(Some(300.0))]).into_string();
        assert!(svg.contains(r#"data-value="300""#));
        let cx: f64 = svg
            .split("cx=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .parse()
            .unwrap();
        assert!(cx > LEFT && cx <= WIDTH - RIGHT, "{cx}");
    }

    #[test]
    fn no_observation_draws_no_point() {
        assert!(
            !fan_chart(&[band(None)])
                .into_string()
                .contains("observed\"")
        );
    }

    #[test]
    fn a_shares_chart_draws_one_line_per_arm_with_a_point_per_refresh() {
        let labels = vec![
            "10 exposures".to_string(),
            "40 exposures".to_string(),
            "90 exposures".to_string(),
        ];
        let points = vec![vec![0.5, 0.5], vec![0.7, 0.3], vec![0.9, 0.1]];
        let svg = shares_chart("weights-subject", "Shares", &labels, &points).into_string();
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("arm-0") && svg.contains("arm-1"));
        let first_line = svg
            .split("points=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap();
        assert_eq!(first_line.split(' ').count(), 3, "{first_line}");
        assert!(svg.contains("90 exposures"));
    }
}
