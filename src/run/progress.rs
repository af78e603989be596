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
}

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

    /// The display of `replica`.
    #[must_use]
    pub fn replica(&self, replica: u32) -> ReplicaProgress {
        let bar = self.multi.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new(1000));
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {percent:>3}% {msg} (elapsed {elapsed}, ETA {eta})",
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
        let rate = events as f64 / elapsed;
        let done = fraction(time, stop_time, events, stop_events);
        if let Some(bar) = &self.bar {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            bar.set_position((done * 1000.0) as u64);
            bar.set_message(format!(
                "t = {time:.3e} s, T = {temperature:.1} K, {events} events, {rate:.3e} events/s"
            ));
        } else if self.log {
            let Ok(mut last) = self.last.lock() else {
                return;
            };
            if now.duration_since(*last) < LOG_EVERY {
                return;
            }
            *last = now;
            let eta = if done > 0.0 {
                format!("{:.0} s", elapsed * (1.0 - done) / done)
            } else {
                "unknown".to_string()
            };
            eprintln!(
                "replica {}: t = {time:.4e} s ({:.1} %), T = {temperature:.1} K, {events} events, {rate:.3e} events/s, ETA {eta}",
                self.replica,
                100.0 * done
            );
        }
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
