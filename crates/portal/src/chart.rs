//! The records-synced-over-time chart of a connection, rendered on the server as SVG from
//! the run history: the records of its finished runs over the last 14 days, one stacked
//! bar per day (or per hour when every run is from the last 48 hours), one colour per
//! resource with a legend. The SVG names itself (`role="img"`, a title and a description
//! with the summary); [`RecordsChart::table`] carries the same numbers for a visually
//! hidden data table. Only numbers, dates and our own labels go into the SVG, and even
//! those are escaped; colours are attributes (no `style`), so the portal's CSP allows it
//! inline and as a file (`GET /portal/connections/{id}/chart.svg`).

use std::fmt::Write as _;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::PortalState;
use super::error::PortalError;
use super::session::SignedIn;
use junction_contract::ResourceKind;
use junction_store::now_ms;
use junction_store::runs::HourlyRecords;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// The chart's window, in days (today included).
const WINDOW_DAYS: i64 = 14;
/// Hourly bars when every run is this recent.
const HOURLY_HOURS: i64 = 48;

/// The series colours, one per resource in order: the same values as `--chart-1`...
/// in portal.css (a test keeps them equal), each with at least 3:1 contrast against the
/// white surface (WCAG's rule for graphical objects); segments are also separated by a
/// white line, so neighbours never rely on colour alone.
pub const PALETTE: [&str; 5] = ["#1a4fd6", "#b45309", "#0f766e", "#7e22ce", "#be123c"];
/// Axis text and tick lines (`--muted`), grid lines (`--border`).
const AXIS: &str = "#4a5565";
const GRID: &str = "#c5cdd8";

/// A rendered chart: the SVG markup (built by this module from numbers only, so it is safe
/// to insert unescaped) and its text alternative.
pub struct RecordsChart {
    /// `<svg ...>...</svg>`, or empty when there is nothing to draw (no runs, or runs that
    /// synced no record).
    pub svg: String,
    /// What the chart shows, in words (for screen readers and as the caption).
    pub summary: String,
    /// The chart's numbers as a table (for a visually hidden `<table>`; no rows when there
    /// is nothing to draw).
    pub table: ChartTable,
}

/// The chart's data as rows: one per bar that has runs, one column per resource.
pub struct ChartTable {
    /// "Records synced per day (UTC), last 14 days".
    pub caption: String,
    /// "Day (UTC)" or "Hour (UTC)".
    pub period: &'static str,
    /// The resources (column headings).
    pub series: Vec<String>,
    pub rows: Vec<ChartRow>,
}

pub struct ChartRow {
    /// `2026-11-20`, or `2026-11-20 14:00` for hours.
    pub label: String,
    /// Records per resource, in [`ChartTable::series`] order.
    pub values: Vec<i64>,
    pub total: i64,
}

/// The chart of connection `connection_id` (the caller has checked access).
pub async fn records_chart(
    state: &PortalState,
    connection_id: &str,
) -> Result<RecordsChart, PortalError> {
    let now = now_ms();
    let rows = state
        .hub
        .store
        .hourly_records(connection_id, window_start_ms(now))
        .await?;
    Ok(build(&rows, now))
}

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new().route("/portal/connections/{id}/chart.svg", get(chart_svg))
}

/// `GET /portal/connections/{id}/chart.svg`: the chart on its own (an image; with nothing
/// to draw, an image saying so).
pub async fn chart_svg(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let connection = super::access::connection(&state, &session, &id).await?;
    let chart = records_chart(&state, &connection.id).await?;
    let svg = if chart.svg.is_empty() {
        placeholder(&chart.summary)
    } else {
        chart.svg
    };
    let mut response = svg.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml; charset=utf-8"),
    );
    Ok(response)
}

/// Where the window starts: midnight (UTC) 13 days before today.
pub fn window_start_ms(now: i64) -> i64 {
    (now.div_euclid(DAY_MS) - (WINDOW_DAYS - 1)) * DAY_MS
}

/// Bars per day or per hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Hourly,
    Daily,
}

/// The bars: their granularity and the first bucket and count (in that unit since the
/// epoch). Hourly when every row is from the last 48 hours, else daily over 14 days.
pub fn buckets(rows: &[HourlyRecords], now: i64) -> (Granularity, i64, usize) {
    let now_hour = now.div_euclid(HOUR_MS);
    let first_hourly = now_hour - (HOURLY_HOURS - 1);
    if !rows.is_empty() && rows.iter().all(|r| r.hour >= first_hourly) {
        (Granularity::Hourly, first_hourly, HOURLY_HOURS as usize)
    } else {
        let first_day = now.div_euclid(DAY_MS) - (WINDOW_DAYS - 1);
        (Granularity::Daily, first_day, WINDOW_DAYS as usize)
    }
}

/// A scale for the y axis: (top, step) with a round step (1, 2 or 5 times a power of ten)
/// giving at most five intervals, and top the first multiple of step at or above `max`.
pub fn nice_scale(max: i64) -> (i64, i64) {
    let max = max.max(1);
    let rough = (max + 4) / 5;
    let mut magnitude = 1i64;
    while magnitude.saturating_mul(10) <= rough {
        magnitude = magnitude.saturating_mul(10);
    }
    let step = [1, 2, 5, 10]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10 * magnitude);
    let top = (max + step - 1) / step * step;
    (top, step)
}

/// `1240` → `1,240`.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Text for XML content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn date_of(ms: i64, format: &str) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime(format).to_string())
        .unwrap_or_default()
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", grouped(n), if n == 1 { one } else { many })
}

/// The chart from the hourly sums (rows before the window are ignored), at `now`.
pub fn build(rows: &[HourlyRecords], now: i64) -> RecordsChart {
    let since_hour = window_start_ms(now).div_euclid(HOUR_MS);
    let rows: Vec<HourlyRecords> = rows
        .iter()
        .filter(|r| r.hour >= since_hour)
        .cloned()
        .collect();
    let (granularity, first, count) = buckets(&rows, now);
    let (unit_ms, period) = match granularity {
        Granularity::Hourly => (HOUR_MS, "Hour (UTC)"),
        Granularity::Daily => (DAY_MS, "Day (UTC)"),
    };
    let span = match granularity {
        Granularity::Hourly => "the last 48 hours",
        Granularity::Daily => "the last 14 days",
    };
    let caption = match granularity {
        Granularity::Hourly => "Records synced per hour (UTC), last 48 hours",
        Granularity::Daily => "Records synced per day (UTC), last 14 days",
    };
    let runs: i64 = rows.iter().map(|r| r.runs).sum();
    if runs == 0 {
        return RecordsChart {
            svg: String::new(),
            summary: "No finished runs in the last 14 days: nothing synced to show yet.".into(),
            table: ChartTable {
                caption: caption.into(),
                period,
                series: Vec::new(),
                rows: Vec::new(),
            },
        };
    }
    // Resources in Junction's sync order, then any other name alphabetically.
    let order = |name: &str| {
        ResourceKind::ALL
            .iter()
            .position(|k| k.as_str() == name)
            .unwrap_or(ResourceKind::ALL.len())
    };
    let mut series: Vec<String> = rows.iter().map(|r| r.resource.clone()).collect();
    series.sort_by(|a, b| order(a).cmp(&order(b)).then(a.cmp(b)));
    series.dedup();
    // values[bucket][series], runs per bucket.
    let mut values = vec![vec![0i64; series.len()]; count];
    let mut bucket_runs = vec![0i64; count];
    for r in &rows {
        let bucket = match granularity {
            Granularity::Hourly => r.hour,
            Granularity::Daily => (r.hour * HOUR_MS).div_euclid(DAY_MS),
        } - first;
        let (Ok(b), Some(s)) = (
            usize::try_from(bucket),
            series.iter().position(|s| *s == r.resource),
        ) else {
            continue;
        };
        if b < count {
            values[b][s] += r.records.max(0);
            bucket_runs[b] += r.runs;
        }
    }
    let totals: Vec<i64> = values.iter().map(|v| v.iter().sum()).collect();
    let total: i64 = totals.iter().sum();
    let label = |b: usize, format: &str| date_of((first + b as i64) * unit_ms, format);
    let long_format = match granularity {
        Granularity::Hourly => "%Y-%m-%d %H:00",
        Granularity::Daily => "%Y-%m-%d",
    };
    let mut summary = format!(
        "{} in {} over {span}",
        plural(total, "record", "records"),
        plural(runs, "run", "runs")
    );
    // The busiest bar (the latest of equals).
    if let Some((busiest, _)) = totals
        .iter()
        .enumerate()
        .filter(|(_, t)| **t > 0)
        .max_by_key(|(b, t)| (**t, *b))
    {
        match granularity {
            Granularity::Daily => {
                let _ = write!(summary, "; most on {}", label(busiest, long_format));
            }
            Granularity::Hourly => {
                let _ = write!(
                    summary,
                    "; most in the hour from {} UTC",
                    label(busiest, long_format)
                );
            }
        }
    }
    if total == 0 {
        // Bars of height zero would be an empty frame: say it instead.
        summary.push_str(": they found nothing new to sync");
    }
    summary.push('.');
    let table = ChartTable {
        caption: caption.into(),
        period,
        series: series.clone(),
        rows: (0..count)
            .filter(|b| bucket_runs[*b] > 0)
            .map(|b| ChartRow {
                label: label(b, long_format),
                values: values[b].clone(),
                total: totals[b],
            })
            .collect(),
    };
    if total == 0 {
        return RecordsChart {
            svg: String::new(),
            summary,
            table,
        };
    }
    let svg = draw(&Drawing {
        granularity,
        title: caption,
        summary: &summary,
        series: &series,
        values: &values,
        totals: &totals,
        label: &|b| label(b, long_format),
        tick: &|b| {
            let start = (first + b as i64) * unit_ms;
            match granularity {
                Granularity::Daily => Some(date_of(start, "%m-%d")),
                Granularity::Hourly if start.div_euclid(HOUR_MS) % 24 == 0 => {
                    Some(date_of(start, "%m-%d"))
                }
                Granularity::Hourly if start.div_euclid(HOUR_MS) % 6 == 0 => {
                    Some(date_of(start, "%H:00"))
                }
                Granularity::Hourly => None,
            }
        },
    });
    RecordsChart {
        svg,
        summary,
        table,
    }
}

struct Drawing<'a> {
    granularity: Granularity,
    title: &'a str,
    summary: &'a str,
    series: &'a [String],
    values: &'a [Vec<i64>],
    totals: &'a [i64],
    /// A bar's full label (for its tooltip).
    label: &'a dyn Fn(usize) -> String,
    /// A bar's axis label, if it gets one.
    tick: &'a dyn Fn(usize) -> Option<String>,
}

// The drawing's geometry (user units; the SVG scales to its container's width).
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 56.0;

fn draw(d: &Drawing<'_>) -> String {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let base = TOP + plot_h;
    let max = d.totals.iter().copied().max().unwrap_or(0);
    let (top, step) = nice_scale(max);
    let y = |v: i64| base - plot_h * (v as f64) / (top as f64);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="records-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-labelledby="records-chart-title records-chart-desc" font-family="system-ui, sans-serif" font-size="12">"#
    );
    let _ = write!(
        s,
        r#"<title id="records-chart-title">{}</title><desc id="records-chart-desc">{}</desc>"#,
        esc(d.title),
        esc(d.summary)
    );
    // Legend, above the plot.
    let mut x = LEFT;
    for (i, name) in d.series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="14" width="12" height="12" fill="{colour}"/><text x="{:.1}" y="24" fill="{AXIS}">{}</text>"#,
            x + 16.0,
            esc(name)
        );
        x += 16.0 + 8.0 * name.chars().count() as f64 + 20.0;
    }
    // Grid lines and y ticks.
    let mut v = 0;
    while v <= top {
        let ty = y(v);
        let _ = write!(
            s,
            r#"<line x1="{LEFT}" x2="{:.1}" y1="{ty:.1}" y2="{ty:.1}" stroke="{GRID}" stroke-width="1"/><text x="{:.1}" y="{:.1}" fill="{AXIS}" text-anchor="end">{}</text>"#,
            LEFT + plot_w,
            LEFT - 8.0,
            ty + 4.0,
            esc(&grouped(v))
        );
        v += step;
    }
    // Bars: stacked per resource, a white line between segments.
    let n = d.values.len().max(1);
    let slot = plot_w / n as f64;
    let bar_w = (slot * 0.7).max(1.0);
    for (b, stack) in d.values.iter().enumerate() {
        let bx = LEFT + slot * b as f64 + (slot - bar_w) / 2.0;
        let mut below = 0i64;
        for (i, value) in stack.iter().enumerate() {
            if *value <= 0 {
                continue;
            }
            let (y_top, y_bottom) = (y(below + value), y(below));
            below += value;
            let _ = write!(
                s,
                r#"<rect x="{bx:.1}" y="{y_top:.1}" width="{bar_w:.1}" height="{:.1}" fill="{}" stroke="white" stroke-width="1"><title>{}</title></rect>"#,
                (y_bottom - y_top).max(0.5),
                PALETTE[i % PALETTE.len()],
                esc(&format!(
                    "{}: {} {}",
                    (d.label)(b),
                    grouped(*value),
                    d.series.get(i).map(String::as_str).unwrap_or("")
                ))
            );
        }
        if let Some(tick) = (d.tick)(b) {
            let tx = LEFT + slot * b as f64 + slot / 2.0;
            let _ = write!(
                s,
                r#"<line x1="{tx:.1}" x2="{tx:.1}" y1="{base:.1}" y2="{:.1}" stroke="{AXIS}" stroke-width="1"/><text x="{tx:.1}" y="{:.1}" fill="{AXIS}" text-anchor="middle">{}</text>"#,
                base + 4.0,
                base + 18.0,
                esc(&tick)
            );
        }
    }
    // Axes and their titles.
    let _ = write!(
        s,
        r#"<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{base:.1}" stroke="{AXIS}" stroke-width="1"/><line x1="{LEFT}" x2="{:.1}" y1="{base:.1}" y2="{base:.1}" stroke="{AXIS}" stroke-width="1"/>"#,
        LEFT + plot_w
    );
    let x_title = match d.granularity {
        Granularity::Hourly => "Hour (UTC)",
        Granularity::Daily => "Day (UTC)",
    };
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" fill="{AXIS}" text-anchor="middle">{}</text><text x="14" y="{:.1}" fill="{AXIS}" text-anchor="middle" transform="rotate(-90 14 {:.1})">Records</text></svg>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 12.0,
        x_title,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0
    );
    s
}

/// An SVG saying there is nothing to draw (for the standalone route).
fn placeholder(summary: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="records-chart" viewBox="0 0 {WIDTH} 80" width="100%" role="img" aria-labelledby="records-chart-title records-chart-desc" font-family="system-ui, sans-serif" font-size="14"><title id="records-chart-title">Records synced over time</title><desc id="records-chart-desc">{0}</desc><text x="16" y="44" fill="{AXIS}">{0}</text></svg>"#,
        esc(summary)
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// 2026-11-20 15:30 UTC.
    const NOW: i64 = 1_795_188_600_000;

    fn row(resource: &str, hours_ago: i64, records: i64, runs: i64) -> HourlyRecords {
        HourlyRecords {
            resource: resource.into(),
            hour: NOW.div_euclid(HOUR_MS) - hours_ago,
            records,
            runs,
        }
    }

    #[test]
    fn the_window_starts_at_midnight_thirteen_days_back() {
        assert_eq!(date_of(NOW, "%Y-%m-%d %H:%M"), "2026-11-20 15:30");
        assert_eq!(
            date_of(window_start_ms(NOW), "%Y-%m-%d %H:%M"),
            "2026-11-07 00:00"
        );
    }

    #[test]
    fn recent_runs_get_hourly_bars_and_older_ones_daily_bars() {
        let recent = [row("orders", 0, 5, 1), row("orders", 47, 5, 1)];
        let (g, first, count) = buckets(&recent, NOW);
        assert_eq!((g, count), (Granularity::Hourly, 48));
        assert_eq!(first, NOW.div_euclid(HOUR_MS) - 47);
        let older = [row("orders", 0, 5, 1), row("orders", 48, 5, 1)];
        let (g, first, count) = buckets(&older, NOW);
        assert_eq!((g, count), (Granularity::Daily, 14));
        assert_eq!(first * DAY_MS, window_start_ms(NOW));
    }

    #[test]
    fn daily_buckets_sum_records_per_day_and_resource() {
        let rows = [
            row("orders", 15, 1000, 3), // 2026-11-20 00:30 → 2026-11-20
            row("orders", 16, 200, 2),  // 2026-11-19 23:30 → 2026-11-19
            row("customers", 15, 40, 1),
            row("products", 24 * 5, 0, 30),
            row("orders", 24 * 20, 999, 9), // before the window
        ];
        let chart = build(&rows, NOW);
        assert_eq!(chart.table.period, "Day (UTC)");
        assert_eq!(chart.table.series, ["orders", "customers", "products"]);
        let labels: Vec<&str> = chart.table.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["2026-11-15", "2026-11-19", "2026-11-20"]);
        let last = chart.table.rows.last().unwrap();
        assert_eq!(last.values, [1000, 40, 0]);
        assert_eq!(last.total, 1040);
        assert_eq!(
            chart.summary,
            "1,240 records in 36 runs over the last 14 days; most on 2026-11-20."
        );
        assert!(chart.svg.starts_with("<svg "));
        assert!(chart.svg.contains(r#"role="img""#));
        assert!(
            chart
                .svg
                .contains(r#"aria-labelledby="records-chart-title records-chart-desc""#)
        );
        assert!(
            chart
                .svg
                .contains("<desc id=\"records-chart-desc\">1,240 records in 36 runs")
        );
        // Axis tick labels: 0 to 1,500 in steps of 500, and the days.
        for tick in [">0<", ">500<", ">1,000<", ">1,500<", ">11-20<", ">11-07<"] {
            assert!(chart.svg.contains(tick), "{tick} in {}", chart.svg);
        }
        assert!(
            chart
                .svg
                .contains("<title>2026-11-20: 1,000 orders</title>")
        );
        // Colours are attributes, never styles (the CSP forbids inline styles).
        assert!(!chart.svg.contains("style"));
    }

    #[test]
    fn hourly_buckets_name_the_busiest_hour() {
        let rows = [
            row("orders", 2, 30, 1),
            row("orders", 1, 50, 1),
            row("variations", 1, 5, 1),
        ];
        let chart = build(&rows, NOW);
        assert_eq!(chart.table.period, "Hour (UTC)");
        assert_eq!(chart.table.rows.len(), 2);
        assert_eq!(chart.table.rows[1].label, "2026-11-20 14:00");
        assert_eq!(chart.table.rows[1].values, [50, 5]);
        assert_eq!(
            chart.summary,
            "85 records in 3 runs over the last 48 hours; most in the hour from 2026-11-20 14:00 UTC."
        );
        assert!(
            chart.svg.contains(">12:00<"),
            "every sixth hour is labelled"
        );
        assert!(chart.svg.contains(">11-20<"), "midnight shows the date");
    }

    #[test]
    fn bars_scale_to_a_round_top() {
        assert_eq!(nice_scale(0), (1, 1));
        assert_eq!(nice_scale(1), (1, 1));
        assert_eq!(nice_scale(4), (4, 1));
        assert_eq!(nice_scale(7), (8, 2));
        assert_eq!(nice_scale(100), (100, 20));
        assert_eq!(nice_scale(1040), (1500, 500));
        assert_eq!(nice_scale(1240), (1500, 500));
        assert_eq!(nice_scale(999_999), (1_000_000, 200_000));
        for max in [1, 3, 9, 11, 49, 51, 333, 12_345, 7_654_321] {
            let (top, step) = nice_scale(max);
            assert!(
                top >= max && top / step <= 5 && top % step == 0,
                "{max}: {top}/{step}"
            );
        }
        // The tallest bar reaches exactly the top when the top is the maximum.
        let chart = build(&[row("orders", 1, 100, 1)], NOW);
        assert!(chart.svg.contains(r#"y="44.0""#), "{}", chart.svg);
    }

    #[test]
    fn nothing_to_draw_gives_no_svg_and_says_so() {
        let chart = build(&[], NOW);
        assert!(chart.svg.is_empty());
        assert!(chart.table.rows.is_empty());
        assert_eq!(
            chart.summary,
            "No finished runs in the last 14 days: nothing synced to show yet."
        );
        let only_old = build(&[row("orders", 24 * 30, 10, 1)], NOW);
        assert!(only_old.svg.is_empty());
        // Runs that synced no record draw no empty frame: the summary says so, and the
        // table still lists the runs.
        let idle = build(&[row("orders", 3, 0, 4)], NOW);
        assert!(idle.svg.is_empty());
        assert_eq!(
            idle.summary,
            "0 records in 4 runs over the last 48 hours: they found nothing new to sync."
        );
        assert_eq!(idle.table.rows.len(), 1);
        assert!(placeholder("a <b> & c").contains("a &lt;b&gt; &amp; c"));
    }

    #[test]
    fn text_is_escaped_even_in_our_own_labels() {
        let chart = build(&[row("<orders>", 1, 3, 1)], NOW);
        assert!(chart.svg.contains("&lt;orders&gt;"));
        assert!(!chart.svg.contains("<orders>"));
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(-1000), "-1,000");
    }

    #[test]
    fn the_palette_is_the_stylesheets_and_contrasts_with_the_surface() {
        let css = include_str!("../static/portal.css");
        let luminance = |hex: &str| {
            let channel = |i: usize| {
                let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
                if c <= 0.03928 {
                    c / 12.92
                } else {
                    ((c + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
        };
        for (i, colour) in PALETTE.iter().enumerate() {
            assert!(
                css.contains(&format!("--chart-{}: {colour};", i + 1)),
                "--chart-{} in portal.css",
                i + 1
            );
            let ratio = 1.05 / (luminance(colour) + 0.05);
            assert!(ratio >= 3.0, "{colour} on white: {ratio:.2}:1");
        }
    }
}
