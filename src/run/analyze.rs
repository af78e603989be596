//! `nanokmc analyze`: the `[[analysis]]` observables of a stored trajectory, frame by frame,
//! and the glue that writes them during a run.
//!
//! [`analyze`] rebuilds the sites from the scenario and potential texts stored in the
//! trajectory (checking them against the stored sites hash), takes the entries of the
//! stored scenario or of a `--spec` file, reads one frame's species at a time and measures
//! it with an [`Analyzer`], so that memory stays at one frame plus the graph plus what the
//! observables keep (the reference frame of `voids`, the member sites of `clusters`). The
//! results go to a CSV file (streamed row by row into `X.csv.partial`, renamed when
//! complete), to standard output, or into the trajectory's `/observables`
//! ([`crate::output::append_observables`], written once everything is measured).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::header;
use crate::analysis::{Analyzer, Frame, Measurement, Value};
use crate::error::{Error, Result};
use crate::input::Source;
use crate::output::h5md::sites_hash;
use crate::output::observables::{FrameReader, Series};
use crate::output::{Distribution, FrameObservables, append_observables};
use crate::scenario;
use crate::sites::SiteGraph;
use crate::state::SpeciesId;

/// Options of `nanokmc analyze`.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// A TOML file of `[[analysis]]` entries replacing those of the stored scenario.
    pub spec: Option<PathBuf>,
    /// Write a CSV file (one row per frame).
    pub csv: Option<PathBuf>,
    /// Append the series to the trajectory's `/observables`.
    pub into_h5md: bool,
    /// Replace existing files or datasets.
    pub overwrite: bool,
}

/// What an analysis did.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyzeSummary {
    /// Frames analysed.
    pub frames: u64,
    /// Names of the quantities measured.
    pub quantities: Vec<String>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl std::fmt::Display for AnalyzeSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        #[allow(clippy::cast_precision_loss)]
        let rate = self.frames as f64 / self.seconds.max(1e-9);
        write!(
            f,
            "analysed {} frames ({} quantities) in {:.2} s, {rate:.1} frames/s",
            self.frames,
            self.quantities.len(),
            self.seconds
        )
    }
}

/// Adds the measurements of a frame to the observables a run writes: scalars as extra
/// observables with their units, distributions as 2-D datasets.
pub(super) fn add_to(obs: &mut FrameObservables, measurements: Vec<Measurement>) {
    for m in measurements {
        match m.value {
            Value::Scalar(v) => {
                obs.extra_units.push((m.name.clone(), m.unit.to_string()));
                obs.extra.push((m.name, v));
            }
            Value::Distribution {
                values,
                edges,
                edges_unit,
            } => obs.distributions.push(Distribution {
                name: m.name,
                unit: m.unit.to_string(),
                values,
                edges,
                edges_unit: edges_unit.to_string(),
            }),
        }
    }
}

/// Measures the first `frames` frames of the trajectory `path` with `analyzer`, discarding
/// the results: a resumed run rebuilds the state its observables carry between frames
/// (cluster identities, reference frame), exactly as an uninterrupted run has it.
pub(super) fn replay(
    path: &Path,
    graph: &SiteGraph,
    analyzer: &mut Analyzer,
    frames: u64,
) -> Result<()> {
    let reader = FrameReader::open(path)?;
    let mut raw = Vec::new();
    let mut species = Vec::new();
    for f in 0..frames.min(reader.frames()) {
        read_frame(&reader, f, graph, usize::MAX, &mut raw, &mut species)?;
        analyzer.measure(&Frame::new(graph, &species, reader.time(f)));
    }
    Ok(())
}

/// Reads frame `f` into `species`, checking every id against `n_species`.
fn read_frame(
    reader: &FrameReader,
    f: u64,
    graph: &SiteGraph,
    n_species: usize,
    raw: &mut Vec<u8>,
    species: &mut Vec<SpeciesId>,
) -> Result<()> {
    reader.read_species(f, raw)?;
    if raw.len() != graph.len() {
        return Err(Error::Output {
            path: PathBuf::new(),
            message: format!(
                "frame {f} has {} sites, the rebuilt graph {}",
                raw.len(),
                graph.len()
            ),
        });
    }
    if let Some(bad) = raw.iter().find(|&&s| usize::from(s) >= n_species.min(64)) {
        return Err(Error::Output {
            path: PathBuf::new(),
            message: format!("frame {f}: species id {bad} is not a species of the potential"),
        });
    }
    species.clear();
    species.extend(raw.iter().map(|&s| SpeciesId(s)));
    Ok(())
}

/// Analyses the trajectory `path` (see the module documentation). Without `csv` and
/// `into_h5md`, the CSV goes to standard output.
///
/// # Errors
/// [`Error::Input`] (exit code 2) for a file that is not a nanokmc trajectory, a bad spec
/// (file, line, column and key), no entries at all, sites that do not match the stored
/// ones, or outputs that exist without `overwrite`; [`Error::Output`] if a file cannot be
/// read or written.
// stages (scenario and sites, checks, frames, outputs) in order, each commented.
#[allow(clippy::too_many_lines)]
pub fn analyze(path: &Path, options: &AnalyzeOptions) -> Result<AnalyzeSummary> {
    let started = Instant::now();
    let reader = FrameReader::open(path)?;
    let record = reader.record()?;
    let input = |key: &str, message: String| Error::Input {
        location: crate::error::Location {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
        },
        key: key.to_string(),
        message,
    };

    // The scenario of the run, its sites and the entries.
    let mut scenario = scenario::compile_texts(
        Source::from_text(&record.scenario_path, record.scenario_text.clone()),
        &Source::from_text(&record.potential_path, record.potential_text.clone()),
    )?;
    scenario.seed = record.seed;
    scenario.replicas = record.replicas;
    let entries = match &options.spec {
        Some(spec) => scenario::compile_spec(&Source::read(spec)?, &scenario)?,
        None => scenario.analysis.clone(),
    };
    if entries.is_empty() {
        return Err(input(
            "analysis",
            "the stored scenario has no [[analysis]] entry; give one with --spec FILE".into(),
        ));
    }
    if let Some(csv) = &options.csv
        && csv.exists()
        && !options.overwrite
    {
        return Err(input(
            "--out",
            format!("{} exists (use --overwrite to replace it)", csv.display()),
        ));
    }
    if options.into_h5md && !options.overwrite {
        for e in &entries {
            let prefix = format!("{}:", e.name);
            if let Some(n) = record.observables.iter().find(|n| n.starts_with(&prefix)) {
                return Err(input(
                    "--into-h5md",
                    format!("/observables/{n} exists (use --overwrite to replace it)"),
                ));
            }
        }
    }
    let system = scenario.build_system(record.replica)?;
    let graph = system.graph;
    if sites_hash(&header(&scenario, record.replica, &graph)) != record.sites_hash {
        return Err(input(
            "parameters/sites_hash",
            "the sites rebuilt from the stored scenario and potential differ from the trajectory's \
             (written by another version of nanokmc?)"
                .into(),
        ));
    }

    // Frame by frame.
    let n_species = scenario.potential.model.species.len();
    let mut analyzer = Analyzer::new(entries);
    let mut raw = Vec::new();
    let mut species = Vec::new();
    let mut csv = CsvSink::new(options)?;
    let mut series: Vec<Series> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for f in 0..reader.frames() {
        read_frame(&reader, f, &graph, n_species, &mut raw, &mut species)
            .map_err(|e| with_path(e, path))?;
        let measurements = analyzer.measure(&Frame::new(&graph, &species, reader.time(f)));
        if f == 0 {
            names = measurements.iter().map(|m| m.name.clone()).collect();
            csv.header(&measurements)?;
            series = measurements
                .iter()
                .map(|m| Series {
                    name: m.name.clone(),
                    unit: m.unit.to_string(),
                    bins: match &m.value {
                        Value::Scalar(_) => None,
                        Value::Distribution {
                            edges, edges_unit, ..
                        } => Some((edges.clone(), (*edges_unit).to_string())),
                    },
                    values: Vec::new(),
                })
                .collect();
        }
        csv.row(
            f,
            reader.step(f),
            reader.time(f),
            reader.temperature(f),
            &measurements,
        )?;
        if options.into_h5md {
            for (s, m) in series.iter_mut().zip(&measurements) {
                match &m.value {
                    Value::Scalar(v) => s.values.push(*v),
                    Value::Distribution { values, .. } => s.values.extend(values),
                }
            }
        }
    }
    csv.finish()?;
    drop(reader);
    if options.into_h5md {
        append_observables(path, &series, options.overwrite)?;
    }
    Ok(AnalyzeSummary {
        frames: analyzer.frames(),
        quantities: names,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Names the trajectory in an error raised without a path.
fn with_path(e: Error, path: &Path) -> Error {
    match e {
        Error::Output { path: p, message } if p.as_os_str().is_empty() => Error::Output {
            path: path.to_path_buf(),
            message,
        },
        other => other,
    }
}

/// Where CSV rows go: a file written as `X.partial` and renamed at the end, standard
/// output, or nowhere.
struct CsvSink {
    target: Option<PathBuf>,
    out: Option<Box<dyn Write>>,
}

impl CsvSink {
    fn new(options: &AnalyzeOptions) -> Result<Self> {
        let (target, out): (Option<PathBuf>, Option<Box<dyn Write>>) = match &options.csv {
            Some(path) => {
                let partial = partial_path(path);
                let file = std::fs::File::create(&partial).map_err(|source| Error::Io {
                    path: partial.clone(),
                    source,
                })?;
                (
                    Some(path.clone()),
                    Some(Box::new(std::io::BufWriter::new(file))),
                )
            }
            None if !options.into_h5md => (None, Some(Box::new(std::io::stdout().lock()))),
            None => (None, None),
        };
        Ok(Self { target, out })
    }

    fn write(&mut self, line: &str) -> Result<()> {
        if let Some(out) = self.out.as_mut() {
            writeln!(out, "{line}").map_err(|e| Error::Output {
                path: self.target.clone().unwrap_or_else(|| "<stdout>".into()),
                message: e.to_string(),
            })?;
        }
        Ok(())
    }

    fn header(&mut self, measurements: &[Measurement]) -> Result<()> {
        let mut columns = vec![
            "frame".to_string(),
            "step".into(),
            "time".into(),
            "temperature".into(),
        ];
        for m in measurements {
            match &m.value {
                Value::Scalar(_) => columns.push(m.name.clone()),
                Value::Distribution { edges, .. } => {
                    columns.extend(
                        edges
                            .windows(2)
                            .map(|w| format!("{}[{}:{}]", m.name, w[0], w[1])),
                    );
                }
            }
        }
        self.write(&columns.join(","))
    }

    fn row(
        &mut self,
        frame: u64,
        step: i64,
        time: f64,
        temperature: f64,
        measurements: &[Measurement],
    ) -> Result<()> {
        if self.out.is_none() {
            return Ok(());
        }
        let mut cells = vec![
            frame.to_string(),
            step.to_string(),
            format!("{time:e}"),
            temperature.to_string(),
        ];
        for m in measurements {
            match &m.value {
                Value::Scalar(v) => cells.push(v.to_string()),
                Value::Distribution { values, .. } => {
                    cells.extend(values.iter().map(ToString::to_string));
                }
            }
        }
        self.write(&cells.join(","))
    }

    fn finish(mut self) -> Result<()> {
        if let Some(mut out) = self.out.take() {
            out.flush().map_err(|e| Error::Output {
                path: self.target.clone().unwrap_or_else(|| "<stdout>".into()),
                message: e.to_string(),
            })?;
        }
        if let Some(path) = self.target.take() {
            std::fs::rename(partial_path(&path), &path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

impl Drop for CsvSink {
    /// An analysis that failed leaves no partial CSV behind.
    fn drop(&mut self) {
        if let Some(path) = &self.target {
            self.out = None;
            let _ = std::fs::remove_file(partial_path(path));
        }
    }
}

/// `X.partial` next to `X`.
fn partial_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".partial");
    PathBuf::from(p)
}
