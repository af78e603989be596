//! What a run reports when it ends: why each replica stopped ([`Ending`]), its
//! [`ReplicaSummary`], and the [`RunSummary`] printed by `nanokmc run`.

use std::path::PathBuf;

/// Why a replica stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    /// The stop time was reached.
    Time,
    /// The event budget was used.
    Events,
    /// A species condition was met (its description).
    Condition(String),
    /// No event can happen any more (total rate zero and no program change ahead).
    Exhausted,
    /// Stopped early with a checkpoint (signal or walltime); resume from it.
    Interrupted {
        /// The checkpoint file.
        checkpoint: PathBuf,
    },
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::Time => write!(f, "reached the stop time"),
            Ending::Events => write!(f, "executed the event budget"),
            Ending::Condition(c) => write!(f, "condition met: {c}"),
            Ending::Exhausted => write!(f, "no event can happen any more"),
            Ending::Interrupted { checkpoint } => {
                write!(f, "interrupted; checkpoint {}", checkpoint.display())
            }
        }
    }
}

/// What one replica did.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaSummary {
    /// Replica index.
    pub replica: u32,
    /// Trajectory file.
    pub output: PathBuf,
    /// Why it stopped.
    pub ending: Ending,
    /// Simulated time reached [s].
    pub time: f64,
    /// Executed events (all segments).
    pub events: u64,
    /// Rejected thinning candidates.
    pub null_events: u64,
    /// Events by rule name.
    pub events_by_rule: Vec<(String, u64)>,
    /// Atoms that left into the vacuum sink, by species name (all domains).
    pub evaporated: Vec<(String, u64)>,
    /// Frames in the trajectory.
    pub frames: u64,
    /// Wall-clock seconds (all segments).
    pub wall_seconds: f64,
    /// Events per wall second in this segment.
    pub events_per_second: f64,
    /// Wall-clock seconds spent writing frames in this segment (observables included).
    pub output_seconds: f64,
    /// Wall-clock seconds of this segment.
    pub segment_seconds: f64,
    /// What acceleration did (`None` when off).
    pub acceleration: Option<crate::accel::AccelReport>,
}

/// What a run did, replica by replica.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// One entry per replica run.
    pub replicas: Vec<ReplicaSummary>,
}

impl RunSummary {
    /// True when some replica stopped early with a checkpoint.
    #[must_use]
    pub fn interrupted(&self) -> bool {
        self.replicas
            .iter()
            .any(|r| matches!(r.ending, Ending::Interrupted { .. }))
    }
}

impl std::fmt::Display for RunSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for r in &self.replicas {
            writeln!(
                f,
                "replica {}: {} -> {}",
                r.replica,
                r.ending,
                r.output.display()
            )?;
            // after a resume, the wall time of all segments and this segment's share, so
            // that the rate and the time spent writing below read against the right total.
            let wall = if r.wall_seconds > r.segment_seconds + 0.005 {
                format!(
                    "wall {:.2} s over all segments ({:.2} s in this one)",
                    r.wall_seconds, r.segment_seconds
                )
            } else {
                format!("wall {:.2} s", r.wall_seconds)
            };
            writeln!(
                f,
                "  simulated time {:.6e} s, {} events ({} null), {} frames, {wall}, {:.4e} events/s",
                r.time, r.events, r.null_events, r.frames, r.events_per_second
            )?;
            writeln!(
                f,
                "  writing frames: {:.3} s of {:.3} s ({:.1} %)",
                r.output_seconds,
                r.segment_seconds,
                100.0 * r.output_seconds / r.segment_seconds.max(1e-9)
            )?;
            let by_rule: Vec<String> = r
                .events_by_rule
                .iter()
                .map(|(n, c)| format!("{n} {c}"))
                .collect();
            writeln!(f, "  events by class: {}", by_rule.join(", "))?;
            let evaporated: Vec<String> = r
                .evaporated
                .iter()
                .map(|(n, c)| format!("{n} {c}"))
                .collect();
            writeln!(
                f,
                "  evaporated: {}",
                if evaporated.is_empty() {
                    "none".to_string()
                } else {
                    evaporated.join(", ")
                }
            )?;
            if let Some(a) = &r.acceleration {
                writeln!(f, "  acceleration: {a}")?;
            }
        }
        Ok(())
    }
}
