//! The expansion of a sweep into points and runs, each point's scenario compiled before
//! anything is written.
//!
//! Points are the combinations of the axes' values (grid: the last axis varies fastest;
//! zip: the k-th values together), numbered `p000`, `p001`, …; run `i` is replica
//! `i mod R` of point `i div R`. Point p runs with seed `seed + p` (independent points) or
//! `seed` (common random numbers), and replica r of it draws from the run driver's stream
//! of replica r ([`crate::rng::stream`]`(seed, 2r + 1)`, the initial configuration from
//! `2r`), exactly as `nanokmc run --seed S --replicas R --replica r` would: a sweep run can
//! be repeated on its own with that command line and the point's overridden scenario.

use std::path::{Path, PathBuf};

use super::axis::{Axis, Target};
use super::file::{Combine, Seeds, SweepSpec};
use crate::error::{Error, Result};
use crate::input::Source;
use crate::scenario::{self, Scenario};
use crate::validate::overrides;

/// One point of the sweep: a value of every axis and the scenario it gives.
#[derive(Debug, Clone)]
pub struct Point {
    /// Index in the sweep (0-based).
    pub index: usize,
    /// `p000`-style name, also its folder.
    pub id: String,
    /// For each axis, the index of its value.
    pub value_index: Vec<usize>,
    /// The seed of the point's runs.
    pub seed: u64,
    /// The scenario with the point's values set (seed and replicas included).
    pub scenario: Scenario,
}

/// One run: a replica of a point.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSpec {
    /// Index in the sweep (point-major: `point · R + replica`).
    pub index: usize,
    /// The point.
    pub point: usize,
    /// The replica of the point.
    pub replica: u32,
    /// `p000/r0`-style name.
    pub id: String,
    /// The trajectory, relative to the sweep's folder.
    pub trajectory: PathBuf,
    /// A digest of what determines the run (scenario and potential text, seed, replica):
    /// a rerun refuses to reuse files made from a different sweep.
    pub fingerprint: String,
}

/// A sweep expanded and checked.
#[derive(Debug, Clone)]
pub struct SweepPlan {
    /// The sweep file.
    pub spec: SweepSpec,
    /// The output folder (absolute).
    pub out: PathBuf,
    /// Replicas per point.
    pub replicas: u32,
    /// The base seed.
    pub seed: u64,
    /// The points.
    pub points: Vec<Point>,
    /// The runs, point-major.
    pub runs: Vec<RunSpec>,
}

impl SweepPlan {
    /// The values of point `p` as `(axis name, value text)`.
    #[must_use]
    pub fn values(&self, p: usize) -> Vec<(String, String)> {
        self.spec
            .axes
            .iter()
            .zip(&self.points[p].value_index)
            .map(|(a, &k)| (a.name.clone(), a.values[k].text()))
            .collect()
    }

    /// The values of point `p` as one line, e.g. `T = 650 K, E = 0.6 eV`.
    #[must_use]
    pub fn describe(&self, p: usize) -> String {
        self.values(p)
            .iter()
            .map(|(n, v)| format!("{n} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The absolute trajectory path of run `i`.
    #[must_use]
    pub fn trajectory(&self, i: usize) -> PathBuf {
        self.out.join(&self.runs[i].trajectory)
    }
}

/// The value indices of every point.
fn combinations(axes: &[Axis], combine: Combine) -> Vec<Vec<usize>> {
    match combine {
        Combine::Zip => (0..axes[0].values.len())
            .map(|k| vec![k; axes.len()])
            .collect(),
        Combine::Grid => {
            let mut points = vec![Vec::new()];
            for a in axes {
                points = points
                    .into_iter()
                    .flat_map(|p| {
                        (0..a.values.len()).map(move |k| {
                            let mut q = p.clone();
                            q.push(k);
                            q
                        })
                    })
                    .collect();
            }
            points
        }
    }
}

/// 64-bit FNV-1a of `parts` (each followed by a 0 byte), as hex: a stable digest (the
/// standard library's hasher may change between Rust versions).
fn digest(parts: &[&[u8]]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in part.iter().chain(std::iter::once(&0u8)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// Sets `value` at every target of `axis` in the scenario (`scenario` table) or potential
/// table; errors point at the target's key in the sweep file.
fn set_axis(
    spec: &SweepSpec,
    axis_index: usize,
    value: &toml::Value,
    scenario: &mut toml::Table,
    potential: &mut toml::Table,
    files: (&Path, &Path),
) -> Result<()> {
    let axis = &spec.axes[axis_index];
    for t in &axis.targets {
        let (table, what, file) = match t {
            Target::Scenario { .. } => (&mut *scenario, "scenario", files.0),
            Target::Potential { .. } => (&mut *potential, "potential", files.1),
        };
        overrides::set_value(table, t.path(), value.clone()).map_err(|m| {
            spec.source.error(
                t.span(),
                format!("sweep.axis[{axis_index}].{what}"),
                format!("cannot set `{}` in {}: {m}", t.path(), file.display()),
            )
        })?;
    }
    Ok(())
}

/// Expands `spec` into points and runs writing into `out` (default: the file's `out`, else
/// `<name>.sweep` in the working directory), compiling every point's scenario.
///
/// # Errors
/// [`Error::Input`] at the sweep file's line for a scenario that cannot be read, a key path
/// that does not exist, or a value that makes the scenario invalid (the message carries the
/// scenario's own error); errors of the unmodified scenario point into the scenario.
// the stages in order: scenario and potential, points (overrides, compile), runs
#[allow(clippy::too_many_lines)]
pub fn plan(spec: SweepSpec, out: Option<&Path>) -> Result<SweepPlan> {
    let original = Source::read(&spec.scenario).map_err(|e| match e {
        Error::Io { source, path } => spec.source.error(
            spec.scenario_span.clone(),
            "sweep.scenario",
            format!("cannot read the scenario {}: {source}", path.display()),
        ),
        other => other,
    })?;
    let base = scenario::compile(original.clone())?;
    let potential_source = Source::from_text(&base.potential_path, base.potential.text.clone());
    let mut scenario_table: toml::Table = original.parse()?;
    // a scenario's own `[sweep]` block is not part of the points' scenarios (it would also
    // say "sweep" to whoever reruns a point's stored scenario).
    scenario_table.remove("sweep");
    let potential_table: toml::Table = potential_source.parse()?;
    let replicas = spec.replicas.unwrap_or(base.replicas).max(1);
    let seed = spec.seed.unwrap_or(base.seed);
    let combos = combinations(&spec.axes, spec.combine);
    let width = combos.len().saturating_sub(1).to_string().len().max(3);
    let out = out
        .map(Path::to_path_buf)
        .or_else(|| spec.out.clone())
        .unwrap_or_else(|| PathBuf::from(format!("{}.sweep", spec.name)));
    let out = std::path::absolute(&out).map_err(|e| Error::io(&out, e))?;
    let mut points = Vec::with_capacity(combos.len());
    for (p, value_index) in combos.into_iter().enumerate() {
        let mut s_table = scenario_table.clone();
        let mut p_table = potential_table.clone();
        let mut touches_potential = false;
        for (a, &k) in value_index.iter().enumerate() {
            let axis = &spec.axes[a];
            touches_potential |= axis
                .targets
                .iter()
                .any(|t| matches!(t, Target::Potential { .. }));
            set_axis(
                &spec,
                a,
                &axis.values[k].value,
                &mut s_table,
                &mut p_table,
                (original.path(), &base.potential_path),
            )?;
        }
        let id = format!("p{p:0width$}");
        let describe = spec
            .axes
            .iter()
            .zip(&value_index)
            .map(|(a, &k)| format!("{} = {}", a.name, a.values[k].text()))
            .collect::<Vec<_>>()
            .join(", ");
        let at_value = |message: String| {
            let (a, k) = (0, value_index[0]);
            let axis = &spec.axes[a];
            let key = format!("sweep.axis[{a}].values");
            spec.source.error(axis.values[k].span.clone(), key, message)
        };
        let write = |t: &toml::Table| {
            toml::to_string(t).map_err(|e| at_value(format!("cannot write the changed file: {e}")))
        };
        let scenario_text = write(&s_table)?;
        let potential = if touches_potential {
            Source::from_text(&base.potential_path, write(&p_table)?)
        } else {
            potential_source.clone()
        };
        let mut compiled = scenario::compile_texts(
            Source::from_text(original.path(), scenario_text),
            &potential,
        )
        .map_err(|e| {
            at_value(format!(
                "at point {id} ({describe}) the scenario {} is invalid: {e}",
                original.path().display()
            ))
        })?;
        compiled.replicas = replicas;
        compiled.seed = match spec.seeds {
            Seeds::Independent => seed.wrapping_add(p as u64),
            Seeds::Common => seed,
        };
        points.push(Point {
            index: p,
            id,
            value_index,
            seed: compiled.seed,
            scenario: compiled,
        });
    }
    let mut runs = Vec::with_capacity(points.len() * replicas as usize);
    for point in &points {
        for r in 0..replicas {
            let base_path = PathBuf::from(&point.id).join("run.h5md");
            let trajectory = crate::run::replica_path(&base_path, r, replicas);
            let s = &point.scenario;
            let fingerprint = digest(&[
                s.source.text().as_bytes(),
                s.potential.text.as_bytes(),
                &point.seed.to_le_bytes(),
                &replicas.to_le_bytes(),
                &r.to_le_bytes(),
            ]);
            runs.push(RunSpec {
                index: runs.len(),
                point: point.index,
                replica: r,
                id: format!("{}/r{r}", point.id),
                trajectory,
                fingerprint,
            });
        }
    }
    Ok(SweepPlan {
        spec,
        out,
        replicas,
        seed,
        points,
        runs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::axis::Value;

    #[test]
    fn plan_grid_and_zip_combinations() {
        let axis = |n: usize| {
            Axis::new(
                "a".into(),
                Vec::new(),
                (0..n)
                    .map(|k| Value {
                        value: toml::Value::Integer(i64::try_from(k).unwrap()),
                        span: 0..0,
                    })
                    .collect(),
            )
        };
        let g = combinations(&[axis(2), axis(3)], Combine::Grid);
        assert_eq!(g.len(), 6);
        assert_eq!(g[1], [0, 1]);
        assert_eq!(g[3], [1, 0]);
        let z = combinations(&[axis(3), axis(3)], Combine::Zip);
        assert_eq!(z, [[0, 0], [1, 1], [2, 2]]);
    }

    #[test]
    fn plan_digest_is_stable() {
        assert_eq!(digest(&[b"a"]), digest(&[b"a"]));
        assert_ne!(digest(&[b"a", b"b"]), digest(&[b"ab"]));
        // FNV-1a of "a\0", computed by hand from the published constants.
        assert_eq!(digest(&[b""]), "af63bd4c8601b7df");
    }
}
