//! The sweep file as written (serde schema, spans kept) and its checks.
//!
//! ```toml
//! [sweep]
//! name = "demo_T"                              # default: the file's stem
//! scenario = "../scenarios/demo.toml"          # relative to this file
//! replicas = 4                                 # per point (default: the scenario's)
//! seed = 7                                     # default: the scenario's
//! seeds = "independent"                        # or "common"
//! combine = "grid"                             # or "zip"
//! out = "demo_T.sweep"                         # default: <name>.sweep, in the working dir
//!
//! [[sweep.axis]]
//! name = "T"
//! scenario = ["program.steps[0].ramp_to", "program.steps[1].hold"]
//! range = { from = "650 K", to = "750 K", count = 3 }
//!
//! [[sweep.axis]]
//! name = "barrier"
//! potential = "events[hop_B].migration_energy"
//! values = ["0.55 eV", "0.6 eV"]
//! ```
//!
//! [`compile`] turns it into a [`SweepSpec`]: every error names the file, line, column and
//! key (`sweep.axis[1].range.count`), as for scenario files.
//!
//! A **scenario file may carry its own sweep**: the same `[sweep]` block with its
//! `[[sweep.axis]]` tables, without `scenario` (the sweep runs the file it is in). A file
//! with a top-level `[scenario]` table is read that way; `nanokmc sweep` takes either kind
//! of file. The block is not part of the scenario itself: [`crate::scenario`] ignores it
//! (`nanokmc run` runs the values written in the scenario, the sweep's base point, and
//! says so), [`embedded`] checks it, and the points' scenarios are written without it.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::axis::{self, Axis, Target};
use crate::error::Result;
use crate::input::{QuantityText, Source, Spanned};

/// The file: one `[sweep]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepFile {
    sweep: Spanned<SweepTable>,
}

/// A scenario file: its `[sweep]` block, if any (the scenario's own keys are checked by
/// [`crate::scenario`], so unknown keys are not refused here).
#[derive(Debug, Deserialize)]
struct ScenarioWithSweep {
    sweep: Option<Spanned<SweepTable>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepTable {
    name: Option<Spanned<String>>,
    scenario: Option<Spanned<String>>,
    replicas: Option<Spanned<i64>>,
    seed: Option<Spanned<i64>>,
    seeds: Option<Spanned<String>>,
    combine: Option<Spanned<String>>,
    out: Option<Spanned<String>>,
    #[serde(default)]
    axis: Vec<AxisFile>,
}

/// One key path or several set to the same value.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AxisFile {
    name: Spanned<String>,
    scenario: Option<Spanned<OneOrMany>>,
    potential: Option<Spanned<OneOrMany>>,
    values: Option<Spanned<Vec<Spanned<toml::Value>>>>,
    range: Option<Spanned<RangeFile>>,
}

/// `range = { from, to, count | step, spacing }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RangeFile {
    pub(super) from: Spanned<QuantityText>,
    pub(super) to: Spanned<QuantityText>,
    pub(super) count: Option<Spanned<i64>>,
    pub(super) step: Option<Spanned<QuantityText>>,
    pub(super) spacing: Option<Spanned<String>>,
}

/// How the values of several axes are combined into points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// Every combination (Cartesian product; the last axis varies fastest).
    Grid,
    /// The k-th value of every axis together (all axes have the same length).
    Zip,
}

/// How the seeds of the points are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeds {
    /// Point p runs with seed `seed + p`: the points are statistically independent.
    Independent,
    /// Every point runs with `seed` (common random numbers: replica r of every point draws
    /// from the same stream, which smooths differences between points; their errors are then
    /// correlated).
    Common,
}

/// A checked sweep file.
#[derive(Debug, Clone)]
pub struct SweepSpec {
    /// The sweep file (path and text).
    pub source: Source,
    /// The sweep's name.
    pub name: String,
    /// The scenario file (resolved relative to the sweep file).
    pub scenario: PathBuf,
    /// Replicas per point (`None`: the scenario's).
    pub replicas: Option<u32>,
    /// Base seed (`None`: the scenario's).
    pub seed: Option<u64>,
    /// Seeds per point.
    pub seeds: Seeds,
    /// How axes combine.
    pub combine: Combine,
    /// Output folder as written (relative to the working directory), if given.
    pub out: Option<PathBuf>,
    /// The axes, in file order.
    pub axes: Vec<Axis>,
    /// Bytes of the `scenario` key, or of the `[sweep]` block in a scenario file (errors of
    /// the scenario as a whole point here).
    pub scenario_span: Range<usize>,
    /// The sweep is a `[sweep]` block inside its scenario file (`scenario` is this file).
    pub embedded: bool,
}

impl SweepSpec {
    /// Points of the sweep: the product of the axes' lengths (grid) or their common length
    /// (zip).
    #[must_use]
    pub fn point_count(&self) -> usize {
        match self.combine {
            Combine::Grid => self.axes.iter().map(|a| a.values.len()).product(),
            Combine::Zip => self.axes.first().map_or(0, |a| a.values.len()),
        }
    }
}

/// True when the file's top level has a `[scenario]` table: a scenario file, whose sweep
/// (if any) is its `[sweep]` block.
fn is_scenario_file(source: &Source) -> Result<bool> {
    let top: toml::Table = source.parse()?;
    Ok(matches!(top.get("scenario"), Some(toml::Value::Table(_))))
}

/// The `[sweep]` block of a scenario file, checked; `None` when it has none.
///
/// # Errors
/// [`crate::Error::Input`] at file, line, column and key for a malformed block (as a sweep
/// file's), or for a `sweep.scenario` key in it.
pub fn embedded(source: &Source) -> Result<Option<SweepSpec>> {
    let file: ScenarioWithSweep = source.parse()?;
    match file.sweep {
        None => Ok(None),
        Some(t) => {
            let span = t.span();
            compile_table(source.clone(), t.get_ref(), span, true).map(Some)
        }
    }
}

/// Reads and checks a sweep file.
///
/// # Errors
/// [`crate::Error::Io`] when it cannot be read, [`crate::Error::Input`] at file, line,
/// column and key for anything malformed.
pub fn read(path: &Path) -> Result<SweepSpec> {
    compile(Source::read(path)?)
}

/// Checks a sweep file already in memory, or a scenario file with a `[sweep]` block.
///
/// # Errors
/// As [`read`]; a scenario file without `[sweep]` is an input error.
pub fn compile(source: Source) -> Result<SweepSpec> {
    if is_scenario_file(&source)? {
        return embedded(&source)?.ok_or_else(|| {
            source.error(
                0..0,
                "sweep",
                "this is a scenario file without a [sweep] block: add `[sweep]` with its \
                 [[sweep.axis]] tables to it, or give a sweep file that names it (docs/cluster.md)",
            )
        });
    }
    let file: SweepFile = source.parse()?;
    let span = file.sweep.span();
    compile_table(source, file.sweep.get_ref(), span, false)
}

/// Checks the `[sweep]` table `t` of `source` (at `block`); `embedded` when it is inside a
/// scenario file.
// one check per key of `[sweep]`, in file order
#[allow(clippy::too_many_lines)]
fn compile_table(
    source: Source,
    t: &SweepTable,
    block: Range<usize>,
    embedded: bool,
) -> Result<SweepSpec> {
    let s = &source;
    let (scenario, scenario_span) = match (&t.scenario, embedded) {
        (Some(v), true) => {
            return Err(s.error(
                v.span(),
                "sweep.scenario",
                "a [sweep] block inside a scenario file sweeps that scenario: remove \
                 `scenario` (it belongs in a separate sweep file)",
            ));
        }
        (Some(v), false) => (
            crate::validate::relative_to(s.path(), v.get_ref()),
            v.span(),
        ),
        (None, true) => (s.path().to_path_buf(), block),
        (None, false) => {
            return Err(s.error(
                block,
                "sweep.scenario",
                "missing field `scenario`: the scenario file to sweep, relative to this file",
            ));
        }
    };
    let name = match &t.name {
        Some(n) => {
            let v = n.get_ref().trim();
            if v.is_empty()
                || !v
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
            {
                return Err(s.error(
                    n.span(),
                    "sweep.name",
                    "a name of letters, digits, `_`, `-` and `.`",
                ));
            }
            v.to_string()
        }
        None => s
            .path()
            .file_stem()
            .map_or_else(|| "sweep".into(), |x| x.to_string_lossy().into_owned()),
    };
    let replicas = match &t.replicas {
        None => None,
        Some(r) => match u32::try_from(*r.get_ref()) {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                return Err(s.error(
                    r.span(),
                    "sweep.replicas",
                    "the replicas per point must be an integer ≥ 1",
                ));
            }
        },
    };
    let seed = match &t.seed {
        None => None,
        Some(v) => Some(
            u64::try_from(*v.get_ref())
                .map_err(|_| s.error(v.span(), "sweep.seed", "the seed must be an integer ≥ 0"))?,
        ),
    };
    let seeds = match t.seeds.as_ref().map(|v| (v.get_ref().as_str(), v.span())) {
        None | Some(("independent", _)) => Seeds::Independent,
        Some(("common", _)) => Seeds::Common,
        Some((other, span)) => {
            return Err(s.error(
                span,
                "sweep.seeds",
                format!("`{other}` is not a seed mode (`independent` or `common`)"),
            ));
        }
    };
    let combine = match t.combine.as_ref().map(|v| (v.get_ref().as_str(), v.span())) {
        None | Some(("grid", _)) => Combine::Grid,
        Some(("zip", _)) => Combine::Zip,
        Some((other, span)) => {
            return Err(s.error(
                span,
                "sweep.combine",
                format!("`{other}` is not a way to combine axes (`grid` or `zip`)"),
            ));
        }
    };
    if t.axis.is_empty() {
        return Err(s.error(
            scenario_span.clone(),
            "sweep.axis",
            "a sweep needs at least one [[sweep.axis]] (a key and its values)",
        ));
    }
    let mut axes: Vec<Axis> = Vec::new();
    for (i, a) in t.axis.iter().enumerate() {
        let key = format!("sweep.axis[{i}]");
        let axis = axis_of(s, a, &key)?;
        if let Some(previous) = axes.iter().find(|x| x.name == axis.name) {
            return Err(s.error(
                a.name.span(),
                format!("{key}.name"),
                format!("two axes are named `{}`", previous.name),
            ));
        }
        axes.push(axis);
    }
    if combine == Combine::Zip {
        let n = axes[0].values.len();
        if let Some((i, a)) = axes.iter().enumerate().find(|(_, a)| a.values.len() != n) {
            return Err(s.error(
                t.axis[i].name.span(),
                format!("sweep.axis[{i}]"),
                format!(
                    "with combine = \"zip\" every axis needs the same number of values: `{}` has {}, `{}` has {n}",
                    a.name,
                    a.values.len(),
                    axes[0].name
                ),
            ));
        }
    }
    Ok(SweepSpec {
        name,
        scenario,
        replicas,
        seed,
        seeds,
        combine,
        out: t.out.as_ref().map(|o| PathBuf::from(o.get_ref())),
        axes,
        scenario_span,
        embedded,
        source,
    })
}

/// Checks one `[[sweep.axis]]`.
fn axis_of(s: &Source, a: &AxisFile, key: &str) -> Result<Axis> {
    let name = a.name.get_ref().trim().to_string();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(s.error(
            a.name.span(),
            format!("{key}.name"),
            "an axis name of letters, digits, `_`, `-` and `.`",
        ));
    }
    let paths = |v: &Spanned<OneOrMany>, what: &str| -> Result<Vec<(String, Range<usize>)>> {
        let list = match v.get_ref() {
            OneOrMany::One(p) => vec![p.clone()],
            OneOrMany::Many(ps) => ps.clone(),
        };
        if list.is_empty() {
            return Err(s.error(
                v.span(),
                format!("{key}.{what}"),
                "give at least one key path",
            ));
        }
        list.into_iter()
            .map(|p| {
                crate::validate::overrides::check_path(&p).map_err(|m| {
                    s.error(
                        v.span(),
                        format!("{key}.{what}"),
                        format!("not a key path: {m}"),
                    )
                })?;
                Ok((p, v.span()))
            })
            .collect()
    };
    let mut targets = Vec::new();
    if let Some(v) = &a.scenario {
        for (path, span) in paths(v, "scenario")? {
            targets.push(Target::Scenario { path, span });
        }
    }
    if let Some(v) = &a.potential {
        for (path, span) in paths(v, "potential")? {
            targets.push(Target::Potential { path, span });
        }
    }
    if targets.is_empty() {
        return Err(s.error(
            a.name.span(),
            key.to_string(),
            "an axis needs `scenario` (key paths into the scenario) or `potential` (into its potential file)",
        ));
    }
    let values = match (&a.values, &a.range) {
        (Some(_), Some(r)) => {
            return Err(s.error(
                r.span(),
                format!("{key}.range"),
                "give either `values` or `range`, not both",
            ));
        }
        (None, None) => {
            return Err(s.error(
                a.name.span(),
                key.to_string(),
                "an axis needs `values` (a list) or `range` (from, to, count or step)",
            ));
        }
        (Some(v), None) => {
            if v.get_ref().is_empty() {
                return Err(s.error(v.span(), format!("{key}.values"), "give at least one value"));
            }
            v.get_ref()
                .iter()
                .map(|x| axis::Value {
                    value: x.get_ref().clone(),
                    span: x.span(),
                })
                .collect()
        }
        (None, Some(r)) => axis::expand_range(s, r.get_ref(), &format!("{key}.range"))?,
    };
    Ok(Axis::new(name, targets, values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::axis::Value;

    fn spec(text: &str) -> Result<SweepSpec> {
        compile(Source::from_text("s.toml", text))
    }

    #[test]
    fn sweep_file_reads_lists_and_ranges() {
        let s = spec(
            "[sweep]\nscenario = \"x.toml\"\nreplicas = 3\n[[sweep.axis]]\nname = \"T\"\nscenario = \"program.temperature\"\nrange = { from = \"600 K\", to = \"700 K\", count = 3 }\n[[sweep.axis]]\nname = \"E\"\npotential = [\"events[hop].barrier\"]\nvalues = [\"0.5 eV\", 0.6]\n",
        )
        .unwrap();
        assert_eq!(s.name, "s");
        assert_eq!(s.replicas, Some(3));
        assert_eq!(s.axes.len(), 2);
        let t: Vec<String> = s.axes[0].values.iter().map(Value::text).collect();
        assert_eq!(t, ["600 K", "650 K", "700 K"]);
        assert_eq!(s.axes[1].values.len(), 2);
    }

    #[test]
    fn sweep_file_errors_name_line_and_key() {
        let e = spec("[sweep]\nscenario = \"x.toml\"\n[[sweep.axis]]\nname = \"T\"\nscenario = \"a.b\"\nrange = { from = \"600 K\", to = \"700 eV\", count = 3 }\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.toml:6:"), "{e}");
        assert!(e.contains("key `sweep.axis[0].range.to`"), "{e}");
        let e = spec("[sweep]\nscenario = \"x.toml\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("at least one [[sweep.axis]]"), "{e}");
    }
}
