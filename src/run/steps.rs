//! What happened in each step of a temperature program, read back from a trajectory: the
//! atoms of each species per domain at the start and at the end of every hold, with the
//! change. `nanokmc run` prints it after a run whose program has more than one temperature
//! (e.g. the CdSe/Cu₃P/CdSe sandwich annealed at 300, 350 and 400 °C).
//!
//! A step is a maximal run of consecutive frames at the same temperature (to 10⁻⁶ K). The
//! end of a step is the state at the first frame of the next step (a frame at a
//! breakpoint holds the state at that moment, before any event at the new temperature) or,
//! for the last step, the last frame.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::Result;
use crate::output::trajectory::TrajectoryReader;

/// The counts per domain and species at the end of each temperature step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// Domain names, in trajectory order.
    pub domains: Vec<String>,
    /// Species names (no vacancy), in trajectory order.
    pub species: Vec<String>,
    /// Counts at frame 0, `[domain][species]`.
    pub start: Vec<Vec<f64>>,
    /// The steps.
    pub steps: Vec<Step>,
}

/// One temperature step.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The temperature of the step [K].
    pub temperature: f64,
    /// Simulated time at the start and end of the step [s].
    pub from: f64,
    /// End of the step [s].
    pub to: f64,
    /// Counts at the end of the step, `[domain][species]`.
    pub counts: Vec<Vec<f64>>,
}

/// Reads the step report of the trajectory at `path`; `None` when the trajectory has a
/// single temperature (nothing to report per step) or fewer than two frames.
///
/// # Errors
/// Those of [`TrajectoryReader::open`] and of reading its observables.
pub fn read(path: &Path) -> Result<Option<StepReport>> {
    let reader = TrajectoryReader::open(path)?;
    let times = reader.times()?;
    let temperatures = reader.temperatures()?;
    if times.len() < 2 || temperatures.len() != times.len() {
        return Ok(None);
    }
    let counts = reader.observable("species_counts")?;
    let domains: Vec<String> = reader.domain_names().to_vec();
    // Species present somewhere in the run (a species of the potential that the scenario
    // never uses, such as a substrate's, would only add a column of zeros).
    let species: Vec<String> = reader
        .species_names()
        .iter()
        .skip(1)
        .filter(|s| {
            domains.iter().any(|d| {
                counts
                    .columns
                    .iter()
                    .any(|(name, c)| *name == format!("{d}/{s}") && c.iter().any(|&v| v > 0.0))
            })
        })
        .cloned()
        .collect();
    let column = |d: &str, s: &str| -> Option<&Vec<f64>> {
        let label = format!("{d}/{s}");
        counts
            .columns
            .iter()
            .find(|(name, _)| *name == label)
            .map(|(_, c)| c)
    };
    let at = |frame: usize| -> Vec<Vec<f64>> {
        domains
            .iter()
            .map(|d| {
                species
                    .iter()
                    .map(|s| column(d, s).map_or(f64::NAN, |c| c[frame]))
                    .collect()
            })
            .collect()
    };
    // Segments of equal temperature: [first frame, first frame of the next segment).
    let mut starts = vec![0usize];
    for f in 1..temperatures.len() {
        if (temperatures[f] - temperatures[f - 1]).abs() > 1e-6 {
            starts.push(f);
        }
    }
    if starts.len() < 2 {
        return Ok(None);
    }
    let last = times.len() - 1;
    let steps = starts
        .iter()
        .enumerate()
        .map(|(k, &first)| {
            let end = starts.get(k + 1).copied().unwrap_or(last);
            Step {
                temperature: temperatures[first],
                from: times[first],
                to: times[end],
                counts: at(end),
            }
        })
        .collect();
    Ok(Some(StepReport {
        start: at(0),
        domains,
        species,
        steps,
    }))
}

impl std::fmt::Display for StepReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut header = format!("  {:<24}", "domain");
        for s in &self.species {
            let _ = write!(header, " {s:>13}");
        }
        writeln!(
            f,
            "per step (atoms at the end of the step, change over the step):"
        )?;
        let mut previous = &self.start;
        writeln!(f, "start:")?;
        writeln!(f, "{header}")?;
        for (d, name) in self.domains.iter().enumerate() {
            write!(f, "  {name:<24}")?;
            for v in &self.start[d] {
                write!(f, " {v:>13}")?;
            }
            writeln!(f)?;
        }
        for (k, step) in self.steps.iter().enumerate() {
            writeln!(
                f,
                "step {}: {:.1} °C ({:.4} K), t = {:.4e} s → {:.4e} s ({:.2} min):",
                k + 1,
                step.temperature - 273.15,
                step.temperature,
                step.from,
                step.to,
                (step.to - step.from) / 60.0
            )?;
            writeln!(f, "{header}")?;
            for (d, name) in self.domains.iter().enumerate() {
                write!(f, "  {name:<24}")?;
                for (s, v) in step.counts[d].iter().enumerate() {
                    let change = v - previous[d][s];
                    let cell = format!("{v} ({change:+})");
                    write!(f, " {cell:>13}")?;
                }
                writeln!(f)?;
            }
            previous = &step.counts;
        }
        Ok(())
    }
}
