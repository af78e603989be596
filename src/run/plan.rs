//! What a run will write and whether it can end, known before it starts: the expected
//! number of frames and trajectory size, and warnings for runs that look runaway (a stop
//! condition no rule can bring about, no time or event limit). `nanokmc check` prints it;
//! `nanokmc run` prints the warnings and refuses a trajectory larger than `--max-output`
//! before anything is written.

use crate::error::{Error, Result};
use crate::model::{Action, Model};
use crate::scenario::{FrameSchedule, Scenario};

/// Compressed trajectory bytes per site and frame, worst case measured at 10⁶ sites with
/// random species (`docs/output.md`).
pub const TRAJECTORY_BYTES_PER_SITE: f64 = 2.6;

/// Default of `--max-output`: the largest trajectory (all replicas of one run) written
/// without being asked for explicitly [bytes].
pub const DEFAULT_MAX_OUTPUT: f64 = 100e9;

/// Above this expected size per run, `run` and `check` warn [bytes].
pub const WARN_OUTPUT: f64 = 10e9;

/// The expected output and the warnings of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    /// Frames each replica writes at most (`None`: not known before the run, e.g. frames
    /// every n events with no event limit).
    pub frames: Option<u64>,
    /// Things that look wrong but are not errors, one sentence each.
    pub warnings: Vec<String>,
}

impl RunPlan {
    /// The plan of `scenario`.
    #[must_use]
    pub fn of(scenario: &Scenario) -> Self {
        let mut warnings = Vec::new();
        let stop = &scenario.stop;
        if stop.time.is_none() && stop.events.is_none() {
            let model = &scenario.potential.model;
            let unreachable: Vec<&str> = stop
                .conditions
                .iter()
                .filter(|c| c.domains.is_none() && !any_rule_removes(model, c.species))
                .map(|c| c.description.as_str())
                .collect();
            if !unreachable.is_empty() {
                warnings.push(format!(
                    "the run has no time or event limit, and no rule removes the species of {}: it ends only when no event is possible, or with a signal or --walltime",
                    unreachable.join(", ")
                ));
            }
        }
        let frames = expected_frames(&scenario.output.frames, stop.time, stop.events);
        Self { frames, warnings }
    }

    /// Expected trajectory size of one replica with `sites` sites [bytes] (`None` when the
    /// frame count is not known).
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn bytes_per_replica(&self, sites: usize) -> Option<f64> {
        self.frames
            .map(|f| f as f64 * sites as f64 * TRAJECTORY_BYTES_PER_SITE)
    }

    /// Checks the expected size of all `replicas` against `max_output` [bytes]; returns a
    /// warning when it is large but allowed.
    ///
    /// # Errors
    /// [`Error::Build`] (exit code 2) when it exceeds `max_output`, with the estimate.
    pub fn check_size(
        &self,
        sites: usize,
        replicas: u32,
        max_output: f64,
    ) -> Result<Option<String>> {
        let Some(per) = self.bytes_per_replica(sites) else {
            return Ok(None);
        };
        let total = per * f64::from(replicas);
        let frames = self.frames.unwrap_or(0);
        if total > max_output {
            return Err(Error::build(
                "output",
                format!(
                    "the trajectory would be about {} ({frames} frames of {sites} sites, {replicas} replica(s)), more than --max-output {}: write fewer frames (`output.every`, `output.log_spaced`) or raise --max-output",
                    bytes_text(total),
                    bytes_text(max_output)
                ),
            ));
        }
        Ok((total > WARN_OUTPUT).then(|| {
            format!(
                "the trajectory will be about {} ({frames} frames of {sites} sites, {replicas} replica(s))",
                bytes_text(total)
            )
        }))
    }
}

/// Frames a replica writes at most: frame 0, the scheduled ones up to the limit, and the
/// final one.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
fn expected_frames(
    schedule: &FrameSchedule,
    time: Option<f64>,
    events: Option<u64>,
) -> Option<u64> {
    let scheduled = match *schedule {
        FrameSchedule::Every(dt) => (time? / dt).floor().min(1e18) as u64,
        FrameSchedule::EveryEvents(n) => events? / n,
        FrameSchedule::LogSpaced { first, per_decade } => {
            let t = time?;
            if t < first {
                0
            } else {
                ((t / first).log10() * f64::from(per_decade))
                    .floor()
                    .min(1e18) as u64
                    + 1
            }
        }
    };
    Some(scheduled.saturating_add(2))
}

/// True when some rule can lower the total count of `species` (an atom leaving into the
/// vacuum sink). Actions this function does not know are assumed to be able to.
fn any_rule_removes(model: &Model, species: crate::state::SpeciesId) -> bool {
    model.rules.iter().any(|rule| match &rule.action {
        Action::Remove { site } => site.species == species,
        Action::Swap { .. } | Action::Add { .. } => false,
        #[allow(unreachable_patterns)]
        _ => true,
    })
}

/// `bytes` as `12.3 GB`, `4.5 MB` or `1.2 TB` (decimal units).
#[must_use]
pub fn bytes_text(bytes: f64) -> String {
    if bytes >= 1e12 {
        format!("{:.1} TB", bytes / 1e12)
    } else if bytes >= 1e9 {
        format!("{:.1} GB", bytes / 1e9)
    } else {
        format!("{:.1} MB", bytes / 1e6)
    }
}

/// Parses a size such as `"100 GB"`, `"2TB"`, `"500 MB"` or a plain number of bytes.
///
/// # Errors
/// [`Error::Build`] naming `option` when the text is not a size.
pub fn parse_bytes(text: &str, option: &str) -> Result<f64> {
    let t = text.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let value: f64 = t[..split]
        .trim()
        .parse()
        .map_err(|_| Error::build(option, format!("`{text}` is not a size such as \"100 GB\"")))?;
    let factor = match t[split..].trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "KIB" => 1024.0,
        "MIB" => 1024.0 * 1024.0,
        "GIB" => 1024.0 * 1024.0 * 1024.0,
        "TIB" => 1024.0f64.powi(4),
        other => {
            return Err(Error::build(
                option,
                format!("unknown size unit `{other}` (B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)"),
            ));
        }
    };
    let bytes = value * factor;
    if bytes > 0.0 && bytes.is_finite() {
        Ok(bytes)
    } else {
        Err(Error::build(
            option,
            format!("`{text}` must be a positive size"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_frames_counts_schedule_and_final_frame() {
        assert_eq!(
            expected_frames(&FrameSchedule::Every(0.1), Some(1.0), None),
            Some(12)
        );
        assert_eq!(
            expected_frames(&FrameSchedule::Every(0.1), None, Some(5)),
            None
        );
        assert_eq!(
            expected_frames(&FrameSchedule::EveryEvents(10), None, Some(100)),
            Some(12)
        );
        let log = FrameSchedule::LogSpaced {
            first: 1e-3,
            per_decade: 10,
        };
        // frames at 1e-3 · 10^(k/10), k = 0..=30 up to 1 s: 31, plus frame 0 and the last.
        assert_eq!(expected_frames(&log, Some(1.0), None), Some(33));
        // a picosecond schedule over half an hour: counted, not overflowed.
        let huge = expected_frames(&FrameSchedule::Every(1e-12), Some(1800.0), None).unwrap();
        assert!(huge > 1_000_000_000_000_000);
    }

    #[test]
    fn check_size_refuses_above_limit_and_warns_above_threshold() {
        let plan = RunPlan {
            frames: Some(1000),
            warnings: Vec::new(),
        };
        // 1000 frames × 10⁶ sites × 2.6 B = 2.6 GB per replica.
        assert!(
            plan.check_size(1_000_000, 1, DEFAULT_MAX_OUTPUT)
                .unwrap()
                .is_none()
        );
        assert!(
            plan.check_size(1_000_000, 8, DEFAULT_MAX_OUTPUT)
                .unwrap()
                .is_some()
        );
        let e = plan.check_size(1_000_000, 8, 10e9).unwrap_err();
        assert!(e.is_input_error());
        assert!(e.to_string().contains("20.8 GB"), "{e}");
    }

    #[test]
    fn parse_bytes_accepts_units_and_refuses_nonsense() {
        assert!((parse_bytes("100 GB", "x").unwrap() - 1e11).abs() < 1.0);
        assert!((parse_bytes("2TB", "x").unwrap() - 2e12).abs() < 1.0);
        assert!((parse_bytes("1 GiB", "x").unwrap() - 1_073_741_824.0).abs() < 1.0);
        assert!(parse_bytes("lots", "x").is_err());
        assert!(parse_bytes("5 parsecs", "x").is_err());
        assert!(parse_bytes("-1 GB", "x").is_err());
    }
}
