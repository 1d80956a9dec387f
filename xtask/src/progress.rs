//! The first-sync progress display: one bar per resource (indicatif) on a terminal, plain
//! periodic lines otherwise (or when `CI` is set). Progress comes from the admin API —
//! the connection's resource states (`lastStatus`, `recordCount`, set when a run ends) and,
//! during a run, the latest run's `records`.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

use crate::api::Admin;
use crate::procs::{Children, StopFlag};

/// A resource to follow, with its size in the emulator when known.
pub struct Tracked {
    pub resource: &'static str,
    pub total: Option<u64>,
    /// Whether the display waits for it (variations may finish later).
    pub required: bool,
}

/// Where one resource's sync stands.
#[derive(Debug, Clone, PartialEq)]
struct Status {
    records: u64,
    /// `waiting`, `running`, `succeeded`, `failed`.
    state: String,
    error: Option<String>,
}

/// The resource's state from the connection view and its latest run.
fn status_of(admin: &Admin<'_>, connection: &str, view: &Value, resource: &str) -> Result<Status> {
    let state = view["resources"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["resource"] == resource))
        .cloned()
        .unwrap_or(Value::Null);
    let count = state["recordCount"].as_u64().unwrap_or(0);
    let error = state["lastError"].as_str().map(str::to_string);
    if state["lastStatus"] == "succeeded" {
        return Ok(Status {
            records: count,
            state: "succeeded".into(),
            error: None,
        });
    }
    let runs = admin
        .get(&format!(
            "/connections/{connection}/runs?resource={resource}&limit=1"
        ))?
        .expect("reading the sync runs", &[200])?;
    let run = &runs["data"][0];
    Ok(match run["status"].as_str() {
        Some("running") => Status {
            records: run["records"].as_u64().unwrap_or(0).max(count),
            state: "running".into(),
            error: None,
        },
        _ if state["lastStatus"] == "failed" => Status {
            records: count,
            state: "failed".into(),
            error,
        },
        _ => Status {
            records: count,
            state: "waiting".into(),
            error: None,
        },
    })
}

/// How progress is shown.
enum Display {
    /// The bars (the `MultiProgress` they draw through is kept alive with them).
    Bars {
        _multi: MultiProgress,
        bars: Vec<ProgressBar>,
    },
    Plain {
        last_print: Option<Instant>,
    },
}

impl Display {
    fn new(tracked: &[Tracked]) -> Self {
        let plain = !std::io::stdout().is_terminal()
            || std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        if plain {
            return Display::Plain { last_print: None };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stdout());
        let bar_style = ProgressStyle::with_template(
            "{prefix:>11} [{bar:40.cyan/blue}] {pos:>6}/{len:<6} {elapsed:>4} {msg}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        let spin_style =
            ProgressStyle::with_template("{prefix:>11} {spinner:.cyan} {pos:>6} records {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bars = tracked
            .iter()
            .map(|t| {
                let bar = match t.total {
                    Some(total) => ProgressBar::new(total).with_style(bar_style.clone()),
                    None => ProgressBar::new_spinner().with_style(spin_style.clone()),
                };
                let bar = multi.add(bar.with_prefix(t.resource));
                bar.enable_steady_tick(Duration::from_millis(150));
                bar
            })
            .collect();
        Display::Bars {
            _multi: multi,
            bars,
        }
    }

    fn show(&mut self, tracked: &[Tracked], statuses: &[Status], final_: bool) {
        match self {
            Display::Bars { bars, .. } => {
                for ((t, s), bar) in tracked.iter().zip(statuses).zip(bars.iter()) {
                    if bar.is_finished() {
                        continue;
                    }
                    if let Some(total) = t.total
                        && s.records > total
                    {
                        bar.set_length(s.records);
                    }
                    bar.set_position(s.records);
                    match (s.state.as_str(), &s.error) {
                        ("succeeded", _) => {
                            if t.total.is_some() {
                                bar.set_length(s.records);
                            }
                            bar.finish_with_message("done");
                        }
                        ("failed", Some(e)) => bar.set_message(format!("failed, retrying: {e}")),
                        (state, _) if final_ => bar
                            .abandon_with_message(format!("{state} (continues in the background)")),
                        (state, _) => bar.set_message(state.to_string()),
                    }
                }
            }
            Display::Plain { last_print } => {
                let due = last_print.is_none_or(|t| t.elapsed() >= Duration::from_secs(5));
                if !(due || final_) {
                    return;
                }
                *last_print = Some(Instant::now());
                let parts: Vec<String> = tracked
                    .iter()
                    .zip(statuses)
                    .map(|(t, s)| {
                        let of = t.total.map(|n| format!("/{n}")).unwrap_or_default();
                        let err = s
                            .error
                            .as_deref()
                            .map(|e| format!(": {e}"))
                            .unwrap_or_default();
                        format!("{} {}{of} {}{err}", t.resource, s.records, s.state)
                    })
                    .collect();
                println!("sync: {}", parts.join(", "));
            }
        }
    }
}

/// Follow the first sync of `connection` until every required resource succeeded.
pub fn follow_sync(
    admin: &Admin<'_>,
    connection: &str,
    tracked: &[Tracked],
    timeout: Duration,
    children: &mut Children,
    stop: &StopFlag,
) -> Result<Duration> {
    let start = Instant::now();
    let mut display = Display::new(tracked);
    loop {
        stop.check()?;
        children.check_alive()?;
        let view = admin
            .get(&format!("/connections/{connection}"))?
            .expect("reading the demo connection", &[200])?;
        let statuses = tracked
            .iter()
            .map(|t| status_of(admin, connection, &view, t.resource))
            .collect::<Result<Vec<_>>>()?;
        let done = tracked
            .iter()
            .zip(&statuses)
            .all(|(t, s)| !t.required || s.state == "succeeded");
        display.show(tracked, &statuses, done);
        if done {
            return Ok(start.elapsed());
        }
        if start.elapsed() > timeout {
            bail!(
                "the first sync did not finish within {timeout:?}: {}",
                tracked
                    .iter()
                    .zip(&statuses)
                    .map(|(t, s)| format!(
                        "{} {} ({} records{})",
                        t.resource,
                        s.state,
                        s.records,
                        s.error
                            .as_deref()
                            .map(|e| format!(", {e}"))
                            .unwrap_or_default()
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
        stop.sleep(Duration::from_millis(400))?;
    }
}
