//! Progress of running replicas: an indicatif bar per replica on a terminal, or one plain
//! log line per replica every [`LOG_EVERY`] on a pipe or file (cluster job logs). Nothing
//! here feeds back into the simulation.

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Ending;

/// Interval between plain log lines.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// Bars when stderr is a terminal, log lines otherwise.
    Auto,
    /// Plain log lines on stderr.
    Log,
    /// Nothing.
    Quiet,
}

/// Shared progress display of a run.
#[derive(Debug)]
pub struct Progress {
    mode: ProgressMode,
    multi: Option<MultiProgress>,
}

/// The display of one replica.
#[derive(Debug)]
pub struct ReplicaProgress {
    replica: u32,
    bar: Option<ProgressBar>,
    log: bool,
    start: Instant,
    last: Mutex<Instant>,
    quiet: bool,
    /// Events executed before this segment (a resumed run): the rate counts only this
    /// segment's events against this segment's wall time.
    events_at_start: u64,
    /// The run may end earlier than its time or event limit (species stop conditions).
    open_ended: bool,
    /// Progress at the start of the current speed window (for the ETA).
    window: Mutex<Sample>,
    /// Remaining wall seconds estimated at the end of the last window.
    eta: Mutex<Option<f64>>,
}

/// Where a replica was at a wall-clock moment.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall: Instant,
    time: f64,
    events: u64,
}

/// Length of the window over which the current speed (simulated time and events per wall
/// second) is measured for the ETA: recent enough to follow a ramp or a changing rate.
const SPEED_WINDOW: Duration = Duration::from_secs(5);

impl Progress {
    /// A display for `replicas` replicas.
    #[must_use]
    pub fn new(mode: ProgressMode, replicas: usize) -> Self {
        let _ = replicas;
        let mode = match mode {
            ProgressMode::Auto if std::io::stderr().is_terminal() => ProgressMode::Auto,
            ProgressMode::Auto => ProgressMode::Log,
            m => m,
        };
        let multi = (mode == ProgressMode::Auto)
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4)));
        Self { mode, multi }
    }

    /// The display of `replica`, which has executed `events_at_start` events in earlier
    /// segments; `open_ended` when a stop condition may end it before its time or event
    /// limit.
    #[must_use]
    pub fn replica(&self, replica: u32, events_at_start: u64, open_ended: bool) -> ReplicaProgress {
        let bar = self.multi.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new(1000));
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {percent:>3}% {msg} (elapsed {elapsed})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix(format!("replica {replica}"));
            bar
        });
        let now = Instant::now();
        ReplicaProgress {
            replica,
            bar,
            log: self.mode == ProgressMode::Log,
            start: now,
            last: Mutex::new(now),
            quiet: self.mode == ProgressMode::Quiet,
            events_at_start,
            open_ended,
            window: Mutex::new(Sample {
                wall: now,
                time: f64::NAN,
                events: events_at_start,
            }),
            eta: Mutex::new(None),
        }
    }

    /// Clears the bars.
    pub fn finish(&self) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }
}

/// Fraction of the run done: the larger of time and event progress.
#[allow(clippy::cast_precision_loss)]
fn fraction(time: f64, stop_time: f64, events: u64, stop_events: u64) -> f64 {
    let a = if stop_time.is_finite() && stop_time > 0.0 {
        time / stop_time
    } else {
        0.0
    };
    let b = if stop_events < u64::MAX {
        events as f64 / stop_events as f64
    } else {
        0.0
    };
    a.max(b).clamp(0.0, 1.0)
}

impl ReplicaProgress {
    /// Reports the state after a chunk of steps.
    pub fn update(
        &self,
        time: f64,
        stop_time: f64,
        events: u64,
        stop_events: u64,
        temperature: f64,
    ) {
        if self.quiet {
            return;
        }
        let now = Instant::now();
        let elapsed = now.duration_since(self.start).as_secs_f64().max(1e-9);
        #[allow(clippy::cast_precision_loss)]
        let rate = events.saturating_sub(self.events_at_start) as f64 / elapsed;
        let done = fraction(time, stop_time, events, stop_events);
        let eta = self.eta_text(now, time, stop_time, events, stop_events);
        if let Some(bar) = &self.bar {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            bar.set_position((done * 1000.0) as u64);
            bar.set_message(format!(
                "t = {time:.3e} s, T = {temperature:.1} K, {events} events, {rate:.3e} events/s, ETA {eta}"
            ));
        } else if self.log {
            let Ok(mut last) = self.last.lock() else {
                return;
            };
            if now.duration_since(*last) < LOG_EVERY {
                return;
            }
            *last = now;
            eprintln!(
                "replica {}: t = {time:.4e} s ({:.1} %), T = {temperature:.1} K, {events} events, {rate:.3e} events/s, ETA {eta}",
                self.replica,
                100.0 * done
            );
        }
    }

    /// The estimated remaining wall time as text. The speed (simulated time and events per
    /// wall second) is measured over the last [`SPEED_WINDOW`], not since the start, so the
    /// estimate follows a temperature ramp or a changing rate; the run ends at whichever of
    /// its time and event limits comes first (under a heating ramp the speed still falls,
    /// so the estimate grows as the run goes on). With a stop condition on species the run
    /// may end earlier than that: the estimate is marked "≤". Without a finite limit, or
    /// before the first window, it is "unknown".
    fn eta_text(
        &self,
        now: Instant,
        time: f64,
        stop_time: f64,
        events: u64,
        stop_events: u64,
    ) -> String {
        if let (Ok(mut window), Ok(mut eta)) = (self.window.lock(), self.eta.lock()) {
            if window.time.is_nan() {
                *window = Sample {
                    wall: now,
                    time,
                    events,
                };
            } else {
                let wall = now.duration_since(window.wall).as_secs_f64();
                if wall >= SPEED_WINDOW.as_secs_f64() {
                    *eta = remaining_seconds(
                        *window,
                        Sample {
                            wall: now,
                            time,
                            events,
                        },
                        wall,
                        stop_time,
                        stop_events,
                    );
                    *window = Sample {
                        wall: now,
                        time,
                        events,
                    };
                }
            }
            if let Some(seconds) = *eta {
                let bound = if self.open_ended { "≤ " } else { "" };
                return format!("{bound}{}", format_seconds(seconds));
            }
        }
        "unknown".to_string()
    }

    /// Reports the end of the replica.
    pub fn done(&self, ending: &Ending) {
        if let Some(bar) = &self.bar {
            bar.finish_with_message(ending.to_string());
        } else if self.log {
            eprintln!("replica {}: {ending}", self.replica);
        }
    }
}

/// Wall seconds left at the speed measured between `from` and `to` (`wall` seconds apart):
/// the earlier of the time and event limits, or `None` when neither is finite or reachable.
#[allow(clippy::cast_precision_loss)]
fn remaining_seconds(
    from: Sample,
    to: Sample,
    wall: f64,
    stop_time: f64,
    stop_events: u64,
) -> Option<f64> {
    let mut best: Option<f64> = None;
    let time_speed = (to.time - from.time) / wall;
    if stop_time.is_finite() && time_speed > 0.0 {
        best = Some((stop_time - to.time).max(0.0) / time_speed);
    }
    let event_speed = to.events.saturating_sub(from.events) as f64 / wall;
    if stop_events < u64::MAX && event_speed > 0.0 {
        let left = stop_events.saturating_sub(to.events) as f64 / event_speed;
        best = Some(best.map_or(left, |b| b.min(left)));
    }
    best
}

/// `seconds` as `42 s`, `12 min 5 s` or `3 h 20 min`.
fn format_seconds(seconds: f64) -> String {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let s = seconds.round().min(1e12) as u64;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_seconds_uses_recent_speed_and_earliest_limit() {
        let t0 = Instant::now();
        let from = Sample {
            wall: t0,
            time: 1.0,
            events: 100,
        };
        let to = Sample {
            wall: t0,
            time: 2.0,
            events: 1100,
        };
        // 1 s of simulated time and 1000 events in 10 wall seconds.
        let by_time = remaining_seconds(from, to, 10.0, 5.0, u64::MAX).unwrap();
        assert!((by_time - 30.0).abs() < 1e-9);
        let by_events = remaining_seconds(from, to, 10.0, 5.0, 2100).unwrap();
        assert!((by_events - 10.0).abs() < 1e-9);
        assert!(remaining_seconds(from, to, 10.0, f64::INFINITY, u64::MAX).is_none());
        assert_eq!(format_seconds(3725.0), "1 h 2 min");
        assert_eq!(format_seconds(61.0), "1 min 1 s");
    }
}
