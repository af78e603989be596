//! Validation: claims about the model's physics, checked by running their scenarios
//! (`nanokmc validate validation/`).
//!
//! A claim (`validation/*.toml`, format in `docs/validation.md`) names a scenario, what to
//! measure in its trajectories ([`measure`]), and the condition the replica mean must meet
//! ([`verdict`]), with the reported value's source. [`run`] reads and checks every claim
//! first ([`claim::read_dir`]), then, claim by claim and variant by variant: applies the
//! claim's overrides to the scenario ([`overrides`]), runs its replicas in parallel through
//! the run driver ([`crate::run::run`]: deterministic streams, the same trajectory whatever
//! the thread count), reads the measured series from every trajectory, computes one number
//! per replica, their mean and standard error ([`stats`]) and the verdict. [`report`]
//! writes the Markdown report and one CSV per claim and variant.
//!
//! A claim whose observable is missing from the trajectory (an analysis observable of a
//! build that does not compute it), or whose scenario uses a table listed in its
//! `requires` that the scenario reader does not know, is *skipped* with a message: it
//! neither passes nor fails.
//!
//! Extending: a new condition is an [`verdict::Expectation`] variant with its `judge` arm
//! and its name in `claim.rs`; a new derived quantity a [`measure::Quantity`] variant.

pub mod claim;
pub mod measure;
pub mod overrides;
pub mod report;
pub mod stats;
pub mod verdict;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::error::{Error, Result};
use crate::input::Source;
use crate::run::{self, ProgressMode, RunOptions};
use crate::scenario;

pub use claim::Claim;
use measure::{Inputs, ObservableRef, Quantity, read_series};

/// Options of a validation run.
#[derive(Debug, Clone)]
pub struct ValidateOptions {
    /// Reduced replicas and the claims' `[quick]` overrides.
    pub quick: bool,
    /// Run only the claims these select (each a claim name, or a prefix ending in `*`); all
    /// claims when empty.
    pub only: Vec<String>,
    /// Where trajectories go (`<work>/<claim>/<variant>/run.r<k>.h5md`).
    pub work: PathBuf,
    /// Worker threads for the replicas (default: one per core).
    pub threads: Option<usize>,
    /// Print a line per claim as it is run.
    pub verbose: bool,
}

/// The state of one claim variant after the run.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// The condition holds.
    Pass,
    /// The condition does not hold, or the quantity could not be measured.
    Fail,
    /// Not measured: an observable or scenario table this build does not provide.
    Skipped,
}

/// The outcome of one variant of one claim.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The claim's name.
    pub claim: String,
    /// The claim's title.
    pub title: String,
    /// The claim file.
    pub file: PathBuf,
    /// The scenario file.
    pub scenario: PathBuf,
    /// The variant's name (`""` when the claim has none).
    pub variant: String,
    /// Fitted (true) or prediction.
    pub fitted: bool,
    /// Where the reported value comes from.
    pub reference: String,
    /// The reported value as written.
    pub reported: String,
    /// The unit of the measured quantity.
    pub unit: String,
    /// What was measured, in words.
    pub measured: String,
    /// What was expected, in words.
    pub expected: String,
    /// Pass, fail or skipped.
    pub status: Status,
    /// The inequality that decided, or why it failed to measure or was skipped.
    pub detail: String,
    /// Per-replica values of the claim's quantity.
    pub values: Vec<f64>,
    /// Their summary.
    pub summary: Option<stats::Summary>,
    /// The measured series per replica (scaled), for the CSV.
    pub series: Vec<measure::Series>,
    /// The trajectories.
    pub trajectories: Vec<PathBuf>,
    /// Wall-clock seconds of the variant (runs and measurement).
    pub wall_seconds: f64,
    /// The overrides applied, as `path = value` lines.
    pub overrides: Vec<String>,
}

/// All outcomes, in claim order.
#[derive(Debug, Clone, Default)]
pub struct Validation {
    /// One per claim variant.
    pub outcomes: Vec<Outcome>,
    /// `--quick` was on.
    pub quick: bool,
}

impl Validation {
    /// Number of outcomes with `status`.
    #[must_use]
    pub fn count(&self, status: &Status) -> usize {
        self.outcomes.iter().filter(|o| &o.status == status).count()
    }

    /// True when every claim variant passed.
    #[must_use]
    pub fn all_pass(&self) -> bool {
        self.outcomes.iter().all(|o| o.status == Status::Pass)
    }
}

/// `path` relative to the folder of `file` (absolute paths are kept).
#[must_use]
pub fn relative_to(file: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        file.parent().unwrap_or(Path::new(".")).join(p)
    }
}

/// Whether the `--only` selector `only` (a claim name, or a prefix ending in `*`) selects
/// the claim `name`.
fn selects(only: &str, name: &str) -> bool {
    match only.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == only,
    }
}

/// Reads every claim of `dir` and runs them (or only those `options.only` selects).
///
/// # Errors
/// Input errors of the claims and their scenarios (before anything runs for the claims'
/// own files; a scenario made invalid by overrides when its claim comes up), an `--only`
/// that names no claim, and run-time errors of the runs.
pub fn run(dir: &Path, options: &ValidateOptions) -> Result<Validation> {
    let mut claims = claim::read_dir(dir)?;
    if claims.is_empty() {
        return Err(Error::build(
            dir.display().to_string(),
            "no claim files (*.toml) in this folder",
        ));
    }
    if !options.only.is_empty() {
        let names: Vec<&str> = claims.iter().map(|c| c.name.as_str()).collect();
        for only in &options.only {
            if !names.iter().any(|n| selects(only, n)) {
                let hint = crate::input::closest(only, &names)
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                let what = match only.strip_suffix('*') {
                    Some(prefix) => format!("no claim name starts with `{prefix}`"),
                    None => format!("no claim named `{only}`"),
                };
                return Err(Error::build(
                    "--only",
                    format!("{what} (claims: {}){hint}", names.join(", ")),
                ));
            }
        }
        claims.retain(|c| options.only.iter().any(|o| selects(o, &c.name)));
    }
    // every variant's scenario and overrides are checked before anything runs.
    for c in &claims {
        for v in &c.variants {
            compile_variant(c, v, options)?;
        }
    }
    let mut validation = Validation {
        outcomes: Vec::new(),
        quick: options.quick,
    };
    for c in &claims {
        for v in &c.variants {
            let started = Instant::now();
            let mut outcome = run_variant(c, v, options)?;
            outcome.wall_seconds = started.elapsed().as_secs_f64();
            if options.verbose {
                eprintln!(
                    "{:>7} {}{} ({:.1} s): {}",
                    match outcome.status {
                        Status::Pass => "pass",
                        Status::Fail => "FAIL",
                        Status::Skipped => "skipped",
                    },
                    c.name,
                    if v.name.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", v.name)
                    },
                    outcome.wall_seconds,
                    outcome.detail
                );
            }
            validation.outcomes.push(outcome);
        }
    }
    Ok(validation)
}

/// The top-level table that `e` says the scenario reader does not know, if it is one of
/// `requires`.
fn unknown_required_table(e: &Error, requires: &[String]) -> Option<String> {
    let Error::Input { message, .. } = e else {
        return None;
    };
    requires
        .iter()
        .find(|r| message.contains(&format!("unknown field `{r}`")))
        .cloned()
}

/// A variant's scenario with the claim's overrides, compiled and checked, or why the claim
/// is skipped.
enum Compiled {
    /// The scenario uses a table this build does not know and the claim `requires` it.
    Skipped(String),
    /// The compiled scenario and the overrides applied, as `path = value` lines.
    Ready {
        scenario: Box<scenario::Scenario>,
        overrides: Vec<String>,
    },
}

/// Reads the variant's scenario, applies the claim's overrides (and the quick ones with
/// `--quick`), compiles it and checks the claim's moments against its program. Used once
/// for every variant before any run, so that a mistake in any claim stops the command
/// before work is done, and again by [`run_variant`].
fn compile_variant(c: &Claim, v: &claim::Variant, options: &ValidateOptions) -> Result<Compiled> {
    // The scenario as written must be valid on its own (its errors point into its file).
    let original = Source::read(&c.scenario)?;
    if let Err(e) = scenario::compile(original.clone()) {
        if let Some(table) = unknown_required_table(&e, &c.requires) {
            return Ok(Compiled::Skipped(format!(
                "the scenario uses `[{table}]`, which this build's scenario reader does not know \
                 (the claim lists it in `requires`): {e}"
            )));
        }
        return Err(e);
    }
    let mut all = c.overrides.clone();
    if options.quick {
        all.extend(c.quick_overrides.iter().cloned());
    }
    all.extend(v.overrides.iter().cloned());
    let overrides: Vec<String> = all
        .iter()
        .map(|o| format!("{} = {}", o.path, o.value))
        .collect();
    let source = overrides::apply(&original, &all, &c.source)?;
    let compiled = scenario::compile(source).map_err(|e| {
        let span = all.first().map_or(0..0, |o| o.span.clone());
        c.source.error(
            span,
            "overrides",
            format!(
                "the scenario {} is invalid with the claim's overrides ({}): {e}",
                c.scenario.display(),
                overrides.join("; ")
            ),
        )
    })?;
    // a step the program does not have is a mistake in the claim.
    let steps = compiled.step_ends.len();
    for m in std::iter::once(&c.measure).chain(c.against.as_ref()) {
        if let Some(measure::At::EndOfStep(k)) = m.quantity.at()
            && k > steps
        {
            return Err(Error::Input {
                location: m.location.clone(),
                key: format!("{}.at", m.key),
                message: format!("`end_of_step {k}`: the scenario's program has {steps} step(s)"),
            });
        }
    }
    Ok(Compiled::Ready {
        scenario: Box::new(compiled),
        overrides,
    })
}

// the stages of one variant in order: scenario, overrides, run, read, measure, judge
#[allow(clippy::too_many_lines)]
fn run_variant(c: &Claim, v: &claim::Variant, options: &ValidateOptions) -> Result<Outcome> {
    let mut outcome = Outcome {
        claim: c.name.clone(),
        title: c.title.clone(),
        file: c.source.path().to_path_buf(),
        scenario: c.scenario.clone(),
        variant: v.name.clone(),
        fitted: c.fitted,
        reference: c.reference.clone(),
        reported: c.reported.clone(),
        unit: c.unit.clone(),
        measured: format!(
            "{} of {}{}{}",
            c.measure.quantity,
            c.measure.observable,
            if (c.measure.scale - 1.0).abs() > 0.0 {
                format!(" × {:e}", c.measure.scale)
            } else {
                String::new()
            },
            if c.measure.offset == 0.0 {
                String::new()
            } else {
                format!(" − {:e}", c.measure.offset)
            }
        ),
        expected: c.expect.describe(),
        status: Status::Skipped,
        detail: String::new(),
        values: Vec::new(),
        summary: None,
        series: Vec::new(),
        trajectories: Vec::new(),
        wall_seconds: 0.0,
        overrides: Vec::new(),
    };
    if let Some(a) = &c.against {
        outcome.measured = format!(
            "{} minus {} of {}",
            outcome.measured, a.quantity, a.observable
        );
    }
    let (mut compiled, overrides) = match compile_variant(c, v, options)? {
        Compiled::Skipped(detail) => {
            outcome.detail = detail;
            return Ok(outcome);
        }
        Compiled::Ready {
            scenario,
            overrides,
        } => (*scenario, overrides),
    };
    outcome.overrides = overrides;
    if let Some(seed) = c.seed {
        compiled.seed = seed;
    }
    let replicas = if options.quick {
        c.quick_replicas
    } else {
        c.replicas
    };
    let program_times =
        measure::ProgramTimes::new(compiled.program.end_time(), compiled.step_ends.clone());
    let dir = options.work.join(&c.name).join(if v.name.is_empty() {
        "run"
    } else {
        v.name.as_str()
    });
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
        path: dir.clone(),
        source,
    })?;
    let run_options = RunOptions {
        out: Some(dir.join("run.h5md")),
        replicas: Some(replicas),
        threads: options.threads,
        overwrite: true,
        progress: ProgressMode::Quiet,
        ..RunOptions::default()
    };
    let summary = run::run(compiled, &run_options)?;
    outcome.trajectories = summary.replicas.iter().map(|r| r.output.clone()).collect();

    // Read every series first: a missing observable skips the claim.
    let read =
        |path: &Path, o: &ObservableRef, m: &measure::Measure| -> Result<Option<measure::Series>> {
            read_series(path, o, &m.location, &m.key)
        };
    let missing = |o: &ObservableRef, path: &Path| {
        format!(
            "the trajectory {} has no /observables/{} (an analysis observable this build \
             does not compute, or a name that does not exist: see docs/output.md and the \
             scenario's [[analysis]] entries)",
            path.display(),
            o.name
        )
    };
    let mut inputs: Vec<(Inputs, Option<Inputs>)> = Vec::new();
    for path in &outcome.trajectories {
        let one = |m: &measure::Measure| -> Result<std::result::Result<Inputs, String>> {
            let Some(mut series) = read(path, &m.observable, m)? else {
                return Ok(Err(missing(&m.observable, path)));
            };
            for y in &mut series.value {
                *y = *y * m.scale - m.offset;
            }
            let denominator = match &m.quantity {
                Quantity::Ratio(_, d) => match read(path, d, m)? {
                    Some(s) => Some(s),
                    None => return Ok(Err(missing(d, path))),
                },
                _ => None,
            };
            let temperature = match &m.quantity {
                Quantity::Value(measure::At::Temperature(_))
                | Quantity::Change(measure::At::Temperature(_))
                | Quantity::Ratio(measure::At::Temperature(_), _) => {
                    let t = ObservableRef {
                        name: "temperature".into(),
                        domain: None,
                        species: None,
                        rule: None,
                        into: None,
                    };
                    read(path, &t, m)?
                }
                _ => None,
            };
            Ok(Ok(Inputs {
                series,
                denominator,
                temperature,
            }))
        };
        let main = match one(&c.measure)? {
            Ok(i) => i,
            Err(m) => {
                outcome.detail = m;
                return Ok(outcome);
            }
        };
        let against = match &c.against {
            None => None,
            Some(a) => match one(a)? {
                Ok(i) => Some(i),
                Err(m) => {
                    outcome.detail = m;
                    return Ok(outcome);
                }
            },
        };
        inputs.push((main, against));
    }
    outcome.series = inputs.iter().map(|(i, _)| i.series.clone()).collect();

    // One number per replica, then the verdict.
    let mut initials = Vec::new();
    for (k, (main, against)) in inputs.iter().enumerate() {
        let value = c
            .measure
            .quantity
            .evaluate(main, &program_times)
            .and_then(|x| match (against, &c.against) {
                (Some(i), Some(a)) => a.quantity.evaluate(i, &program_times).map(|y| x - y),
                _ => Ok(x),
            });
        match value {
            Ok(x) => outcome.values.push(x),
            Err(m) => {
                outcome.status = Status::Fail;
                outcome.detail = format!("cannot measure replica {k}: {m}");
                return Ok(outcome);
            }
        }
        initials.push(measure::initial(&main.series));
    }
    let Some(summary) = stats::summarize(&outcome.values) else {
        outcome.status = Status::Fail;
        outcome.detail = "no replica".into();
        return Ok(outcome);
    };
    let initial = stats::summarize(&initials).map_or(0.0, |s| s.mean);
    let verdict = c.expect.judge(&summary, initial);
    outcome.summary = Some(summary);
    outcome.status = if verdict.pass {
        Status::Pass
    } else {
        Status::Fail
    };
    outcome.detail = verdict.detail;
    Ok(outcome)
}
