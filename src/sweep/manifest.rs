//! The sweep's manifest, `<out>/manifest.toml`: the sweep (file, scenario, program
//! version, seeds), its axes, its points with their values and seeds, and every run with
//! its trajectory, seed, values and status (`pending`, `running`, `complete`,
//! `interrupted`, `failed`), with the ending, events, simulated time and wall time of runs
//! that ended.
//!
//! The manifest is written whole to a temporary file and renamed over the old one (a
//! reader never sees half a file), under an exclusive `flock` of `<out>/.manifest.lock`, so
//! that several processes (Slurm array tasks sharing the folder) update it without losing
//! each other's entries. The trajectories stay the truth: a rerun takes a run as done only
//! when its trajectory says so (a process killed between finishing a run and updating the
//! manifest loses nothing). Paths are relative to the manifest's folder, so the folder can
//! be moved or staged elsewhere.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::file::{Combine, Seeds};
use super::plan::SweepPlan;
use crate::error::{Error, Result};
use crate::input::Source;

/// The manifest's file name in the sweep folder.
pub const MANIFEST: &str = "manifest.toml";
/// The lock file's name in the sweep folder.
const LOCK: &str = ".manifest.lock";

/// The state of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not started.
    Pending,
    /// Started by a process (which may since have been killed: the trajectory tells).
    Running,
    /// Ended normally; its trajectory is complete.
    Complete,
    /// Stopped with a checkpoint (signal or walltime); a rerun continues it.
    Interrupted,
    /// Failed with an error (in `message`); a rerun starts it again.
    Failed,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Complete => "complete",
            Status::Interrupted => "interrupted",
            Status::Failed => "failed",
        })
    }
}

/// The sweep as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The sweep's name.
    pub name: String,
    /// The sweep file (absolute).
    pub file: String,
    /// The scenario file (absolute).
    pub scenario: String,
    /// `nanokmc <version>` that wrote the manifest first.
    pub program_version: String,
    /// Replicas per point.
    pub replicas: u32,
    /// Base seed.
    pub seed: u64,
    /// `independent` (point p: seed + p) or `common`.
    pub seeds: String,
    /// `grid` or `zip`.
    pub combine: String,
    /// The sweep file's text.
    pub text: String,
}

/// One axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AxisEntry {
    /// Its name.
    pub name: String,
    /// The common unit of its values (`""` for bare numbers); absent when they have none.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub unit: Option<String>,
    /// What it sets: `scenario:<path>` or `potential:<path>`.
    pub sets: Vec<String>,
    /// Its values as written into the files.
    pub values: Vec<toml::Value>,
}

/// One point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointEntry {
    /// `p000`-style name (its folder).
    pub id: String,
    /// The seed of its runs.
    pub seed: u64,
    /// The index of each axis's value.
    pub value_index: Vec<usize>,
    /// Axis name → value.
    pub values: toml::Table,
    /// Axis name → abscissa in plots (the value's number, else its index).
    pub abscissae: toml::Table,
}

/// One run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEntry {
    /// `p000/r0`-style name.
    pub id: String,
    /// Its point's index.
    pub point: usize,
    /// Its replica.
    pub replica: u32,
    /// Its seed (the point's).
    pub seed: u64,
    /// Its trajectory, relative to the manifest's folder.
    pub trajectory: String,
    /// Digest of scenario, potential, seed and replica.
    pub fingerprint: String,
    /// Axis name → value.
    pub values: toml::Table,
    /// Its state.
    pub status: Status,
    /// Why it ended.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ending: Option<String>,
    /// Events executed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub events: Option<u64>,
    /// Simulated time reached [s].
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time: Option<f64>,
    /// Wall-clock seconds (all segments).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub wall_seconds: Option<f64>,
    /// `nanokmc <version>` of the last segment.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub program_version: Option<String>,
    /// The error of a failed run.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
    /// The MPI rank that ran it last (`mpirun … nanokmc sweep`; absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rank: Option<usize>,
}

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The sweep.
    pub sweep: Header,
    /// Its axes.
    pub axes: Vec<AxisEntry>,
    /// Its points.
    pub points: Vec<PointEntry>,
    /// Its runs, point-major.
    pub runs: Vec<RunEntry>,
}

impl Manifest {
    /// A manifest of `plan` with every run pending.
    #[must_use]
    pub fn of(plan: &SweepPlan) -> Self {
        let spec = &plan.spec;
        let absolute = |p: &Path| {
            std::path::absolute(p)
                .unwrap_or_else(|_| p.to_path_buf())
                .display()
                .to_string()
        };
        let values = |p: usize| -> toml::Table {
            spec.axes
                .iter()
                .zip(&plan.points[p].value_index)
                .map(|(a, &k)| (a.name.clone(), a.values[k].value.clone()))
                .collect()
        };
        Self {
            sweep: Header {
                name: spec.name.clone(),
                file: absolute(spec.source.path()),
                scenario: absolute(&spec.scenario),
                program_version: crate::run::program_version(),
                replicas: plan.replicas,
                seed: plan.seed,
                seeds: match spec.seeds {
                    Seeds::Independent => "independent",
                    Seeds::Common => "common",
                }
                .into(),
                combine: match spec.combine {
                    Combine::Grid => "grid",
                    Combine::Zip => "zip",
                }
                .into(),
                text: spec.source.text().to_string(),
            },
            axes: spec
                .axes
                .iter()
                .map(|a| AxisEntry {
                    name: a.name.clone(),
                    unit: a.unit.clone(),
                    sets: a
                        .targets
                        .iter()
                        .map(|t| match t {
                            super::axis::Target::Scenario { path, .. } => {
                                format!("scenario:{path}")
                            }
                            super::axis::Target::Potential { path, .. } => {
                                format!("potential:{path}")
                            }
                        })
                        .collect(),
                    values: a.values.iter().map(|v| v.value.clone()).collect(),
                })
                .collect(),
            points: plan
                .points
                .iter()
                .map(|p| PointEntry {
                    id: p.id.clone(),
                    seed: p.seed,
                    value_index: p.value_index.clone(),
                    values: values(p.index),
                    abscissae: spec
                        .axes
                        .iter()
                        .zip(&p.value_index)
                        .map(|(a, &k)| (a.name.clone(), toml::Value::Float(a.abscissa(k))))
                        .collect(),
                })
                .collect(),
            runs: plan
                .runs
                .iter()
                .map(|r| RunEntry {
                    id: r.id.clone(),
                    point: r.point,
                    replica: r.replica,
                    seed: plan.points[r.point].seed,
                    trajectory: r.trajectory.display().to_string(),
                    fingerprint: r.fingerprint.clone(),
                    values: values(r.point),
                    status: Status::Pending,
                    ending: None,
                    events: None,
                    time: None,
                    wall_seconds: None,
                    program_version: None,
                    message: None,
                    rank: None,
                })
                .collect(),
        }
    }

    /// The run named `id`.
    #[must_use]
    pub fn run(&self, id: &str) -> Option<&RunEntry> {
        self.runs.iter().find(|r| r.id == id)
    }
}

/// An exclusive lock of a sweep folder's manifest, released when dropped.
struct Lock {
    _file: std::fs::File,
}

impl Lock {
    fn take(dir: &Path) -> Result<Self> {
        use std::os::fd::AsRawFd;
        let path = dir.join(LOCK);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        // SAFETY: flock on a descriptor we own; it is released when the file is closed.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            // a file system without locks (some NFS mounts): go on unlocked; concurrent
            // writers may then lose each other's status lines, never a trajectory.
            if e.raw_os_error() != Some(libc::ENOLCK) {
                return Err(Error::io(&path, e));
            }
        }
        Ok(Self { _file: file })
    }
}

/// Reads `<dir>/manifest.toml`.
///
/// # Errors
/// [`Error::Io`] when it cannot be read (exit code 2 for a missing file),
/// [`Error::Input`] when it is not a manifest.
pub fn read(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST);
    let source = Source::read(&path)?;
    source.parse()
}

fn write_unlocked(dir: &Path, manifest: &Manifest) -> Result<()> {
    let path = dir.join(MANIFEST);
    let text = toml::to_string(manifest).map_err(|e| Error::Output {
        path: path.clone(),
        message: format!("cannot serialise the manifest: {e}"),
    })?;
    let tmp = dir.join(format!(".{MANIFEST}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| Error::Output {
        path,
        message: e.to_string(),
    })
}

/// Creates the sweep folder and its manifest for `plan`, or checks an existing one against
/// it (keeping its statuses). Returns the manifest as now on disk.
///
/// # Errors
/// [`Error::Input`] when the folder holds the manifest of a different sweep (a run whose
/// fingerprint differs: the scenario, a value or the seed changed), unless `overwrite`;
/// [`Error::Output`]/[`Error::Io`] when it cannot be written.
pub fn prepare(plan: &SweepPlan, overwrite: bool) -> Result<Manifest> {
    let dir = &plan.out;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let _lock = Lock::take(dir)?;
    let mut fresh = Manifest::of(plan);
    if dir.join(MANIFEST).exists() {
        let old = read(dir)?;
        let changed: Vec<&str> = fresh
            .runs
            .iter()
            .filter(|r| {
                old.run(&r.id)
                    .is_some_and(|o| o.fingerprint != r.fingerprint)
            })
            .map(|r| r.id.as_str())
            .collect();
        if !changed.is_empty() && !overwrite {
            return Err(Error::Input {
                location: crate::error::Location {
                    path: dir.join(MANIFEST),
                    line: 0,
                    column: 0,
                },
                key: "runs".into(),
                message: format!(
                    "{} run(s) of this folder were made from a different sweep (scenario, values, seed or replicas changed), e.g. {}; give another --out, or --overwrite to run them again",
                    changed.len(),
                    changed[0]
                ),
            });
        }
        for r in &mut fresh.runs {
            if let Some(o) = old.run(&r.id)
                && o.fingerprint == r.fingerprint
            {
                r.clone_from(o);
            }
        }
        fresh.sweep.program_version = old.sweep.program_version;
    }
    write_unlocked(dir, &fresh)?;
    Ok(fresh)
}

/// Replaces the entries of `runs` (by id) in the manifest of `dir`.
///
/// # Errors
/// As [`read`], and [`Error::Output`] when it cannot be written.
pub fn update(dir: &Path, runs: &[RunEntry]) -> Result<()> {
    let _lock = Lock::take(dir)?;
    let mut m = read(dir)?;
    for r in runs {
        if let Some(slot) = m.runs.iter_mut().find(|x| x.id == r.id) {
            slot.clone_from(r);
        }
    }
    write_unlocked(dir, &m)
}

/// The absolute trajectory of `run` in the sweep folder `dir`.
#[must_use]
pub fn trajectory(dir: &Path, run: &RunEntry) -> PathBuf {
    dir.join(&run.trajectory)
}
