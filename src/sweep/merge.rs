//! `nanokmc merge`: the runs of a sweep made into one answer per point.
//!
//! For every point, the complete replicas' trajectories are read ([`TrajectoryReader`])
//! and every `/observables` column (species counts per domain, evaporated atoms, events
//! per rule, temperature, the `[[analysis]]` quantities, …) is put on one time grid: the
//! union of the replicas' frame times. A replica's value at a grid time is its value at its
//! last frame at or before that time (a kMC state is constant between events, and a frame
//! records the state at its time), and missing (NaN) after its last frame. Over the
//! replicas, each grid time gets the mean, the standard error of the mean and the number of
//! replicas, through the same statistics as `nanokmc validate`
//! ([`crate::validate::stats::summarize`]: sample standard deviation with n − 1, over √n).
//! The *final* value of a replica is its value at its end (or at `--at` time).
//!
//! Written into `<sweep>/merged/` (each file whole: to a temporary name, then renamed):
//! - `p000.h5`, one per point: root attributes (sweep, point, program version, seed,
//!   replicas expected and merged), `/axes/<name>` (attributes `value`, `abscissa`,
//!   `unit`), `/replicas` (the trajectories, relative to the sweep folder), `/time` [G] (s),
//!   and per observable `/observables/<name>/` with attributes `unit` and `columns` and the
//!   datasets `values` [R, G, C], `mean`, `sem` [G, C], `n` [G, C], `final_values` [R, C],
//!   `final_mean`, `final_sem` [C];
//! - `summary.csv`: one row per point, observable and column: the axis values, n, the
//!   final mean and standard error;
//! - `plots/<observable>.png`: the final mean ± standard error against the first axis, one
//!   curve per column (and per value of the other axes).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::manifest::{self, Manifest};
use crate::error::{Error, Result};
use crate::output::TrajectoryReader;
use crate::plot::{self, Guides, Series};
use crate::validate::stats::summarize;

/// Curves per plot at most (the rest are left out and the title says so).
const MAX_CURVES: usize = 16;

/// Options of `nanokmc merge`.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// Merge the complete runs even when some are not (else refuse).
    pub partial: bool,
    /// Take the final values at this simulated time [s] instead of each replica's end.
    pub at: Option<f64>,
    /// Skip the plots.
    pub no_plots: bool,
}

/// What a merge wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeSummary {
    /// The per-point files.
    pub files: Vec<PathBuf>,
    /// The CSV summary.
    pub csv: PathBuf,
    /// The plots.
    pub plots: Vec<PathBuf>,
    /// (run id, why) of runs left out.
    pub left_out: Vec<(String, String)>,
}

/// One observable of one point: per replica, its columns over the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The observable's name.
    pub name: String,
    /// Its unit, if the trajectories give one.
    pub unit: Option<String>,
    /// Column names.
    pub columns: Vec<String>,
    /// `values[r][g][c]` (NaN after replica r's last frame).
    pub values: Vec<Vec<Vec<f64>>>,
    /// `final_values[r][c]`.
    pub final_values: Vec<Vec<f64>>,
}

/// One replica's observable: frame times and columns.
struct ReplicaSeries {
    times: Vec<f64>,
    columns: Vec<(String, Vec<f64>)>,
}

/// The value of `series` (at `times`, sorted) at `t`: the last frame at or before `t`,
/// NaN before the first or after the last frame.
#[must_use]
pub fn value_at(times: &[f64], series: &[f64], t: f64) -> f64 {
    let Some(&last) = times.last() else {
        return f64::NAN;
    };
    if t > last || times.is_empty() || t < times[0] {
        return f64::NAN;
    }
    let k = times.partition_point(|&x| x <= t);
    series.get(k.saturating_sub(1)).copied().unwrap_or(f64::NAN)
}

/// The union of the replicas' frame times, sorted, each time once.
#[must_use]
pub fn time_grid(all: &[Vec<f64>]) -> Vec<f64> {
    let mut grid: Vec<f64> = all
        .iter()
        .flatten()
        .copied()
        .filter(|t| t.is_finite())
        .collect();
    grid.sort_by(f64::total_cmp);
    grid.dedup_by(|a, b| a.to_bits() == b.to_bits());
    grid
}

fn column_of<'a>(r: &'a ReplicaSeries, c: &str) -> Option<&'a (String, Vec<f64>)> {
    r.columns.iter().find(|(n, _)| n == c)
}

fn merge_observable(
    name: &str,
    unit: Option<String>,
    replicas: &[ReplicaSeries],
    grid: &[f64],
    at: Option<f64>,
) -> Merged {
    let mut columns: Vec<String> = Vec::new();
    for r in replicas {
        for (c, _) in &r.columns {
            if !columns.contains(c) {
                columns.push(c.clone());
            }
        }
    }
    let values = replicas
        .iter()
        .map(|r| {
            grid.iter()
                .map(|&t| {
                    columns
                        .iter()
                        .map(|c| {
                            column_of(r, c).map_or(f64::NAN, |(_, s)| value_at(&r.times, s, t))
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let final_values = replicas
        .iter()
        .map(|r| {
            let t = at.unwrap_or_else(|| r.times.last().copied().unwrap_or(f64::NAN));
            columns
                .iter()
                .map(|c| column_of(r, c).map_or(f64::NAN, |(_, s)| value_at(&r.times, s, t)))
                .collect()
        })
        .collect();
    Merged {
        name: name.to_string(),
        unit,
        columns,
        values,
        final_values,
    }
}

/// Mean, standard error and count of the finite values of `values`.
fn stats(values: impl Iterator<Item = f64>) -> (f64, f64, u32) {
    let finite: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    match summarize(&finite) {
        #[allow(clippy::cast_possible_truncation)]
        Some(s) => (s.mean, s.sem, s.n as u32),
        None => (f64::NAN, f64::NAN, 0),
    }
}

impl Merged {
    /// (mean, SEM, n) of the final values of column `c`.
    #[must_use]
    pub fn final_stats(&self, c: usize) -> (f64, f64, u32) {
        stats(self.final_values.iter().map(|r| r[c]))
    }
}

/// Reads the observables of the complete trajectories `paths` and merges them.
///
/// # Errors
/// Errors of reading a trajectory.
pub fn merge_point(paths: &[PathBuf], at: Option<f64>) -> Result<(Vec<f64>, Vec<Merged>)> {
    let readers = paths
        .iter()
        .map(|p| TrajectoryReader::open(p))
        .collect::<Result<Vec<_>>>()?;
    let times = readers
        .iter()
        .map(TrajectoryReader::times)
        .collect::<Result<Vec<_>>>()?;
    let grid = time_grid(&times);
    let mut names: Vec<String> = Vec::new();
    for r in &readers {
        for n in r.observable_names()? {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    let mut merged = Vec::new();
    for name in &names {
        let mut unit = None;
        let mut series = Vec::new();
        for (r, t) in readers.iter().zip(&times) {
            let columns = if r.observable_names()?.contains(name) {
                let s = r.observable(name)?;
                unit = unit.or(s.unit);
                s.columns
            } else {
                Vec::new()
            };
            series.push(ReplicaSeries {
                times: t.clone(),
                columns,
            });
        }
        merged.push(merge_observable(name, unit, &series, &grid, at));
    }
    Ok((grid, merged))
}

/// A file name made of `name` (characters other than letters, digits, `_`, `-`, `.`
/// become `_`).
fn file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn h5_error(path: &Path) -> impl Fn(hdf5::Error) -> Error + '_ {
    move |e| Error::Output {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn varlen(s: &str) -> hdf5::Result<hdf5::types::VarLenUnicode> {
    s.parse::<hdf5::types::VarLenUnicode>()
        .map_err(|e| hdf5::Error::from(format!("string {s:?}: {e}")))
}

fn str_attr(loc: &hdf5::Location, name: &str, value: &str) -> hdf5::Result<()> {
    crate::output::h5md::write_str_attr(loc, name, value)
}

fn str_list(group: &hdf5::Group, name: &str, values: &[String]) -> hdf5::Result<()> {
    let v = values
        .iter()
        .map(|s| varlen(s))
        .collect::<hdf5::Result<Vec<_>>>()?;
    group
        .new_dataset::<hdf5::types::VarLenUnicode>()
        .shape(v.len())
        .create(name)?
        .write(&v)
}

/// What one point's file holds besides the observables.
struct PointHeader<'a> {
    manifest: &'a Manifest,
    point: usize,
    trajectories: Vec<String>,
}

// groups and datasets written in file order
#[allow(clippy::too_many_lines)]
fn write_point_file(
    path: &Path,
    header: &PointHeader,
    grid: &[f64],
    merged: &[Merged],
) -> Result<()> {
    let tmp = path.with_extension("h5.tmp");
    if tmp.exists() {
        std::fs::remove_file(&tmp).map_err(|e| Error::io(&tmp, e))?;
    }
    let err = h5_error(path);
    let write = || -> hdf5::Result<()> {
        let file = hdf5::File::create_excl(&tmp)?;
        crate::output::close_on_exec(&file);
        let m = header.manifest;
        let point = &m.points[header.point];
        str_attr(&file, "sweep", &m.sweep.name)?;
        str_attr(&file, "point", &point.id)?;
        str_attr(&file, "program_version", &crate::run::program_version())?;
        file.new_attr::<u64>()
            .create("seed")?
            .write_scalar(&point.seed)?;
        file.new_attr::<u32>()
            .create("replicas_expected")?
            .write_scalar(&m.sweep.replicas)?;
        #[allow(clippy::cast_possible_truncation)]
        let n = header.trajectories.len() as u32;
        file.new_attr::<u32>()
            .create("replicas")?
            .write_scalar(&n)?;
        let axes = file.create_group("axes")?;
        for (a, axis) in m.axes.iter().enumerate() {
            let g = axes.create_group(&axis.name)?;
            let value = point
                .values
                .get(&axis.name)
                .map_or_else(String::new, |v| match v {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
            str_attr(&g, "value", &value)?;
            let x = point
                .abscissae
                .get(&axis.name)
                .and_then(toml::Value::as_float)
                .unwrap_or(f64::NAN);
            g.new_attr::<f64>().create("abscissa")?.write_scalar(&x)?;
            str_attr(&g, "unit", axis.unit.as_deref().unwrap_or(""))?;
            g.new_attr::<u64>()
                .create("value_index")?
                .write_scalar(&(point.value_index.get(a).copied().unwrap_or(0) as u64))?;
        }
        str_list(&file, "replicas", &header.trajectories)?;
        let time = file.new_dataset::<f64>().shape(grid.len()).create("time")?;
        time.write(grid)?;
        str_attr(&time, "unit", "s")?;
        let observables = file.create_group("observables")?;
        for o in merged {
            let g = observables.create_group(&o.name)?;
            str_attr(&g, "unit", o.unit.as_deref().unwrap_or(""))?;
            str_list(&g, "columns", &o.columns)?;
            let (r, gl, c) = (o.values.len(), grid.len(), o.columns.len());
            let flat: Vec<f64> = o.values.iter().flatten().flatten().copied().collect();
            g.new_dataset::<f64>()
                .shape([r, gl, c])
                .create("values")?
                .write_raw(&flat)?;
            let mut mean = Vec::with_capacity(gl * c);
            let mut sem = Vec::with_capacity(gl * c);
            let mut count = Vec::with_capacity(gl * c);
            for k in 0..gl {
                for j in 0..c {
                    let (m, s, n) = stats(o.values.iter().map(|rep| rep[k][j]));
                    mean.push(m);
                    sem.push(s);
                    count.push(n);
                }
            }
            g.new_dataset::<f64>()
                .shape([gl, c])
                .create("mean")?
                .write_raw(&mean)?;
            g.new_dataset::<f64>()
                .shape([gl, c])
                .create("sem")?
                .write_raw(&sem)?;
            g.new_dataset::<u32>()
                .shape([gl, c])
                .create("n")?
                .write_raw(&count)?;
            let flat_final: Vec<f64> = o.final_values.iter().flatten().copied().collect();
            g.new_dataset::<f64>()
                .shape([r, c])
                .create("final_values")?
                .write_raw(&flat_final)?;
            let finals: Vec<(f64, f64, u32)> = (0..c).map(|j| o.final_stats(j)).collect();
            let fm: Vec<f64> = finals.iter().map(|f| f.0).collect();
            let fs: Vec<f64> = finals.iter().map(|f| f.1).collect();
            g.new_dataset::<f64>()
                .shape(c)
                .create("final_mean")?
                .write(&fm)?;
            g.new_dataset::<f64>()
                .shape(c)
                .create("final_sem")?
                .write(&fs)?;
        }
        file.flush()?;
        Ok(())
    };
    write().map_err(err)?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// Writes `text` to `path` through a temporary file.
fn write_text(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("csv.tmp");
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| Error::io(path, e))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Merges the sweep in folder `dir` (see the module documentation).
///
/// # Errors
/// [`Error::Io`]/[`Error::Input`] for a folder without a readable manifest; a build error
/// (exit code 2) when runs are not complete and `partial` is off, or when no run is;
/// errors of reading trajectories and writing the outputs.
#[allow(clippy::too_many_lines)]
pub fn merge(dir: &Path, options: &MergeOptions) -> Result<MergeSummary> {
    let manifest = manifest::read(dir)?;
    let mut left_out = Vec::new();
    let mut complete: Vec<Vec<(String, PathBuf)>> = vec![Vec::new(); manifest.points.len()];
    for run in &manifest.runs {
        let path = manifest::trajectory(dir, run);
        let why = if path.exists() {
            match crate::output::info(&path) {
                Ok(info) if info.is_complete() => None,
                Ok(info) => Some(format!(
                    "not complete ({})",
                    info.status
                        .map_or("unknown", crate::output::RunStatus::as_str)
                )),
                Err(e) => Some(format!("unreadable: {e}")),
            }
        } else {
            Some(format!("no trajectory ({})", run.status))
        };
        match why {
            None => {
                if let Some(p) = complete.get_mut(run.point) {
                    p.push((run.trajectory.clone(), path));
                }
            }
            Some(w) => left_out.push((run.id.clone(), w)),
        }
    }
    if !left_out.is_empty() && !options.partial {
        let list: Vec<String> = left_out
            .iter()
            .take(5)
            .map(|(id, w)| format!("{id}: {w}"))
            .collect();
        return Err(Error::build(
            dir.join(manifest::MANIFEST).display().to_string(),
            format!(
                "{} of {} runs are not complete ({}{}); finish them with `nanokmc sweep {}` or merge what is done with --partial",
                left_out.len(),
                manifest.runs.len(),
                list.join("; "),
                if left_out.len() > 5 { "; …" } else { "" },
                manifest.sweep.file
            ),
        ));
    }
    if complete.iter().all(Vec::is_empty) {
        return Err(Error::build(
            dir.join(manifest::MANIFEST).display().to_string(),
            "no run of the sweep is complete: nothing to merge",
        ));
    }
    let out = dir.join("merged");
    std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    let mut files = Vec::new();
    let mut per_point: Vec<Option<Vec<Merged>>> = Vec::new();
    for (p, runs) in complete.iter().enumerate() {
        if runs.is_empty() {
            per_point.push(None);
            continue;
        }
        let paths: Vec<PathBuf> = runs.iter().map(|(_, p)| p.clone()).collect();
        let (grid, merged) = merge_point(&paths, options.at)?;
        let path = out.join(format!("{}.h5", manifest.points[p].id));
        let header = PointHeader {
            manifest: &manifest,
            point: p,
            trajectories: runs.iter().map(|(rel, _)| rel.clone()).collect(),
        };
        write_point_file(&path, &header, &grid, &merged)?;
        files.push(path);
        per_point.push(Some(merged));
    }
    // the CSV: one row per point, observable and column.
    let mut csv = String::from("point");
    for a in &manifest.axes {
        csv.push(',');
        csv.push_str(&csv_field(&a.name));
    }
    csv.push_str(",observable,column,unit,n,mean,sem\n");
    for (p, merged) in per_point.iter().enumerate() {
        let Some(merged) = merged else { continue };
        let point = &manifest.points[p];
        for o in merged {
            for (j, c) in o.columns.iter().enumerate() {
                let (m, s, n) = o.final_stats(j);
                csv.push_str(&point.id);
                for a in &manifest.axes {
                    let v = point
                        .values
                        .get(&a.name)
                        .map_or_else(String::new, |v| match v {
                            toml::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        });
                    csv.push(',');
                    csv.push_str(&csv_field(&v));
                }
                let _ = writeln!(
                    csv,
                    ",{},{},{},{n},{m:e},{s:e}",
                    csv_field(&o.name),
                    csv_field(c),
                    csv_field(o.unit.as_deref().unwrap_or(""))
                );
            }
        }
    }
    let csv_path = out.join("summary.csv");
    write_text(&csv_path, &csv)?;
    let plots = if options.no_plots {
        Vec::new()
    } else {
        draw_plots(&manifest, &per_point, &out.join("plots"), options.at)?
    };
    Ok(MergeSummary {
        files,
        csv: csv_path,
        plots,
        left_out,
    })
}

/// A curve of a plot: its label and its points (x, mean, SEM).
type Curve = (String, Vec<(f64, f64, f64)>);

/// One plot per observable: final mean ± SEM against the first axis.
// curves gathered per observable, then drawn
#[allow(clippy::too_many_lines)]
fn draw_plots(
    manifest: &Manifest,
    per_point: &[Option<Vec<Merged>>],
    dir: &Path,
    at: Option<f64>,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let Some(first_axis) = manifest.axes.first() else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = Vec::new();
    for m in per_point.iter().flatten() {
        for o in m {
            if !names.contains(&o.name) {
                names.push(o.name.clone());
            }
        }
    }
    let x_label = match first_axis.unit.as_deref() {
        Some("") => first_axis.name.clone(),
        Some(u) => format!("{} [{u}]", first_axis.name),
        None => format!("{} (value index)", first_axis.name),
    };
    let mut written = Vec::new();
    for name in &names {
        // curves: (column, values of the other axes) → points (x, mean, sem).
        let mut curves: Vec<Curve> = Vec::new();
        let mut unit = None;
        for (p, merged) in per_point.iter().enumerate() {
            let Some(merged) = merged else { continue };
            let Some(o) = merged.iter().find(|o| &o.name == name) else {
                continue;
            };
            unit = unit.or(o.unit.clone());
            let point = &manifest.points[p];
            let x = point
                .abscissae
                .get(&first_axis.name)
                .and_then(toml::Value::as_float)
                .unwrap_or(f64::NAN);
            let others: Vec<String> = manifest
                .axes
                .iter()
                .skip(1)
                .map(|a| {
                    let v = point
                        .values
                        .get(&a.name)
                        .map_or_else(String::new, |v| match v {
                            toml::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        });
                    format!("{} = {v}", a.name)
                })
                .collect();
            for (j, c) in o.columns.iter().enumerate() {
                let label = if others.is_empty() {
                    c.clone()
                } else {
                    format!("{c} ({})", others.join(", "))
                };
                let (m, s, _) = o.final_stats(j);
                match curves.iter_mut().find(|(l, _)| *l == label) {
                    Some((_, pts)) => pts.push((x, m, s)),
                    None => curves.push((label, vec![(x, m, s)])),
                }
            }
        }
        let total = curves.len();
        let series: Vec<Series> = curves
            .into_iter()
            .take(MAX_CURVES)
            .map(|(label, mut pts)| {
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                Series {
                    label,
                    x: pts.iter().map(|p| p.0).collect(),
                    y: pts.iter().map(|p| p.1).collect(),
                    y_err: Some(
                        pts.iter()
                            .map(|p| if p.2.is_finite() { p.2 } else { 0.0 })
                            .collect(),
                    ),
                }
            })
            .collect();
        if !series.iter().any(|s| {
            s.x.iter()
                .zip(&s.y)
                .any(|(x, y)| x.is_finite() && y.is_finite())
        }) {
            continue;
        }
        let when = match at {
            Some(t) => format!("at t = {t:e} s"),
            None => "at the end of each run".to_string(),
        };
        let title = format!(
            "{} — {name}, mean ± SEM over replicas {when}{}",
            manifest.sweep.name,
            if total > MAX_CURVES {
                format!(" (first {MAX_CURVES} of {total} curves)")
            } else {
                String::new()
            }
        );
        let y_label = match unit.as_deref() {
            Some(u) if !u.is_empty() => format!("{name} [{u}]"),
            _ => name.clone(),
        };
        let path = dir.join(format!("{}.png", file_name(name)));
        plot::plot_series(
            &path,
            &title,
            &x_label,
            &y_label,
            &series,
            &Guides::default(),
        )?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::float_cmp)]
    fn merge_value_at_holds_the_last_frame() {
        let t = [0.0, 1.0, 2.0];
        let v = [10.0, 11.0, 12.0];
        assert_eq!(value_at(&t, &v, 0.0), 10.0);
        assert_eq!(value_at(&t, &v, 1.5), 11.0);
        assert_eq!(value_at(&t, &v, 2.0), 12.0);
        assert!(value_at(&t, &v, 2.5).is_nan());
        assert!(value_at(&t, &v, -1.0).is_nan());
    }

    #[test]
    #[allow(clippy::float_cmp)]
    fn merge_grid_and_statistics_over_replicas() {
        let a = ReplicaSeries {
            times: vec![0.0, 1.0, 2.0],
            columns: vec![("x".into(), vec![1.0, 2.0, 3.0])],
        };
        let b = ReplicaSeries {
            times: vec![0.0, 1.0, 1.5],
            columns: vec![("x".into(), vec![1.0, 4.0, 5.0])],
        };
        let grid = time_grid(&[a.times.clone(), b.times.clone()]);
        assert_eq!(grid, [0.0, 1.0, 1.5, 2.0]);
        let m = merge_observable("x", None, &[a, b], &grid, None);
        assert_eq!(m.values[0][2], [2.0]);
        assert_eq!(m.values[1][2], [5.0]);
        assert!(m.values[1][3][0].is_nan());
        // finals 3 and 5: mean 4, sample sd √2, sem 1.
        let (mean, sem, n) = m.final_stats(0);
        assert_eq!((mean, n), (4.0, 2));
        assert!((sem - 1.0).abs() < 1e-15);
        let at = merge_observable(
            "x",
            None,
            &[ReplicaSeries {
                times: vec![0.0, 1.0],
                columns: vec![("x".into(), vec![1.0, 2.0])],
            }],
            &grid,
            Some(0.5),
        );
        assert_eq!(at.final_values[0][0], 1.0);
    }
}
