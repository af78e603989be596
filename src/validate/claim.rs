//! Claim files (`validation/*.toml`): the schema as written and its check into a [`Claim`].
//!
//! The format is documented in `docs/validation.md`. Every check names the claim file,
//! line, column and key, like the scenario reader; nothing is run before every claim of a
//! directory has been read and checked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::measure::{At, Measure, ObservableRef, Quantity};
use super::overrides::{self, Override};
use super::verdict::{Expectation, Order};
use crate::error::Result;
use crate::input::{QuantityText, Source, Spanned};
use crate::units::Dimension;

/// The whole file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimFile {
    claim: Header,
    #[serde(default)]
    overrides: BTreeMap<Spanned<String>, toml::Value>,
    #[serde(default)]
    quick: Option<QuickFile>,
    #[serde(default)]
    variants: Vec<VariantFile>,
    measure: MeasureFile,
    #[serde(default)]
    against: Option<MeasureFile>,
    expect: ExpectFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    name: Spanned<String>,
    #[serde(default)]
    title: String,
    scenario: Spanned<String>,
    replicas: Spanned<i64>,
    #[serde(default)]
    seed: Option<Spanned<i64>>,
    fitted: bool,
    source: Spanned<String>,
    #[serde(default)]
    requires: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuickFile {
    #[serde(default)]
    replicas: Option<Spanned<i64>>,
    #[serde(default)]
    overrides: BTreeMap<Spanned<String>, toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantFile {
    name: Spanned<String>,
    #[serde(default)]
    overrides: BTreeMap<Spanned<String>, toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MeasureFile {
    observable: Spanned<String>,
    #[serde(default)]
    domain: Option<Spanned<String>>,
    #[serde(default)]
    species: Option<Spanned<StringOrList>>,
    #[serde(default)]
    rule: Option<Spanned<String>>,
    #[serde(default)]
    into: Option<Spanned<String>>,
    #[serde(default)]
    quantity: Option<Spanned<String>>,
    #[serde(default)]
    at: Option<Spanned<QuantityText>>,
    #[serde(default)]
    at_temperature: Option<Spanned<QuantityText>>,
    #[serde(default)]
    from: Option<Spanned<QuantityText>>,
    #[serde(default)]
    to: Option<Spanned<QuantityText>>,
    #[serde(default)]
    scale: Option<Spanned<f64>>,
    #[serde(default)]
    offset: Option<Spanned<f64>>,
    #[serde(default)]
    denominator: Option<Box<MeasureFile>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum StringOrList {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectFile {
    #[serde(rename = "type")]
    kind: Spanned<String>,
    #[serde(default)]
    value: Option<Spanned<f64>>,
    #[serde(default)]
    range: Option<Spanned<Vec<f64>>>,
    #[serde(default)]
    order: Option<Spanned<String>>,
    #[serde(default)]
    tolerance: Option<Spanned<f64>>,
    #[serde(default)]
    relative_tolerance: Option<Spanned<f64>>,
    #[serde(default)]
    sigmas: Option<Spanned<f64>>,
    #[serde(default)]
    unit: String,
    reported: Spanned<String>,
}

/// A variant of a claim: a set of overrides under a name (e.g. the two ends of an
/// unreported hold time). The claim passes only when every variant passes.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// Name shown in the report (`""` for a claim without variants).
    pub name: String,
    /// Its overrides, applied after the claim's.
    pub overrides: Vec<Override>,
}

/// A checked claim.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The claim file.
    pub source: Source,
    /// Short name (unique in a directory; `--only` selects it).
    pub name: String,
    /// One-line statement.
    pub title: String,
    /// The scenario file, resolved relative to the claim file.
    pub scenario: PathBuf,
    /// Replicas of a full run.
    pub replicas: u32,
    /// Seed replacing the scenario's (`None`: the scenario's).
    pub seed: Option<u64>,
    /// True when the model's parameters were fitted to this claim (reported apart).
    pub fitted: bool,
    /// Where the reported value comes from (reference or derivation).
    pub reference: String,
    /// Top-level scenario tables this claim needs that a build may not know yet (the claim
    /// is skipped, not failed, when the scenario reader rejects one of them).
    pub requires: Vec<String>,
    /// Overrides of every run of the claim.
    pub overrides: Vec<Override>,
    /// Replicas with `--quick` (default: `replicas`).
    pub quick_replicas: u32,
    /// Overrides added with `--quick`.
    pub quick_overrides: Vec<Override>,
    /// Variants (at least one; one unnamed variant when the file has none).
    pub variants: Vec<Variant>,
    /// What is measured.
    pub measure: Measure,
    /// The second measure of an `ordering` claim.
    pub against: Option<Measure>,
    /// The condition.
    pub expect: Expectation,
    /// The reported value as text, with its unit, for the report.
    pub reported: String,
    /// Unit of the measured quantity, for the report.
    pub unit: String,
}

/// Reads and checks every `*.toml` directly in `dir` (claims; subdirectories hold their
/// scenarios and potentials), sorted by file name.
///
/// # Errors
/// [`crate::Error::Io`] for an unreadable directory or file, [`crate::Error::Input`] for
/// the first bad claim, and for two claims with the same name.
pub fn read_dir(dir: &Path) -> Result<Vec<Claim>> {
    let io = |source| crate::Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(std::result::Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut claims: Vec<Claim> = Vec::new();
    for f in files {
        let claim = read(&f)?;
        if let Some(other) = claims.iter().find(|c| c.name == claim.name) {
            return Err(claim.source.file_error(
                "claim.name",
                format!(
                    "the name `{}` is also used by {}",
                    claim.name,
                    other.source.path().display()
                ),
            ));
        }
        claims.push(claim);
    }
    Ok(claims)
}

/// Reads and checks one claim file.
///
/// # Errors
/// As [`read_dir`].
pub fn read(path: &Path) -> Result<Claim> {
    compile(Source::read(path)?)
}

/// Checks a claim whose text is in memory.
///
/// # Errors
/// [`crate::Error::Input`] at the offending key.
// one check per key of the file, in the order of the file
#[allow(clippy::too_many_lines)]
pub fn compile(source: Source) -> Result<Claim> {
    let file: ClaimFile = source.parse()?;
    let s = &source;
    let h = &file.claim;
    let name = h.name.get_ref().trim().to_string();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        return Err(s.error(
            h.name.span(),
            "claim.name",
            "must be a non-empty name of letters, digits, `_` and `-` (it names the output files)",
        ));
    }
    if h.source.get_ref().trim().is_empty() {
        return Err(s.error(
            h.source.span(),
            "claim.source",
            "must say where the reported value comes from (reference or derivation)",
        ));
    }
    let replicas = count(s, &h.replicas, "claim.replicas")?;
    let seed = h
        .seed
        .as_ref()
        .map(|v| {
            u64::try_from(*v.get_ref())
                .map_err(|_| s.error(v.span(), "claim.seed", "must be an integer ≥ 0"))
        })
        .transpose()?;
    let scenario = super::relative_to(s.path(), h.scenario.get_ref());
    if !scenario.is_file() {
        return Err(s.error(
            h.scenario.span(),
            "claim.scenario",
            format!(
                "no scenario file {} (the path is relative to the claim's folder)",
                scenario.display()
            ),
        ));
    }
    let overrides = override_list(s, &file.overrides, "overrides")?;
    let (quick_replicas, quick_overrides) = match &file.quick {
        None => (replicas, Vec::new()),
        Some(q) => (
            q.replicas
                .as_ref()
                .map(|r| count(s, r, "quick.replicas"))
                .transpose()?
                .unwrap_or(replicas),
            override_list(s, &q.overrides, "quick.overrides")?,
        ),
    };
    let mut variants = Vec::new();
    for (i, v) in file.variants.iter().enumerate() {
        let key = format!("variants[{i}]");
        let vname = v.name.get_ref().trim().to_string();
        if vname.is_empty() || variants.iter().any(|x: &Variant| x.name == vname) {
            return Err(s.error(
                v.name.span(),
                format!("{key}.name"),
                "must be a non-empty name, unique among the variants",
            ));
        }
        variants.push(Variant {
            name: vname,
            overrides: override_list(s, &v.overrides, &format!("{key}.overrides"))?,
        });
    }
    if variants.is_empty() {
        variants.push(Variant {
            name: String::new(),
            overrides: Vec::new(),
        });
    }
    let measure = measure_of(s, &file.measure, "measure")?;
    let against = file
        .against
        .as_ref()
        .map(|m| measure_of(s, m, "against"))
        .transpose()?;
    let expect = expectation(s, &file.expect, &measure, against.is_some())?;
    Ok(Claim {
        name,
        title: h.title.clone(),
        scenario,
        replicas,
        seed,
        fitted: h.fitted,
        reference: h.source.get_ref().trim().to_string(),
        requires: h.requires.clone(),
        overrides,
        quick_replicas,
        quick_overrides,
        variants,
        measure,
        against,
        reported: file.expect.reported.get_ref().clone(),
        unit: file.expect.unit.clone(),
        expect,
        source,
    })
}

fn count(s: &Source, v: &Spanned<i64>, key: &str) -> Result<u32> {
    u32::try_from(*v.get_ref())
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| s.error(v.span(), key, "must be an integer ≥ 1"))
}

fn override_list(
    s: &Source,
    map: &BTreeMap<Spanned<String>, toml::Value>,
    table: &str,
) -> Result<Vec<Override>> {
    let mut out: Vec<Override> = map
        .iter()
        .map(|(k, v)| {
            overrides::check_path(k.get_ref()).map_err(|m| {
                s.error(
                    k.span(),
                    format!("{table}.\"{}\"", k.get_ref()),
                    format!("not a scenario key path: {m}"),
                )
            })?;
            Ok(Override {
                path: k.get_ref().clone(),
                value: v.clone(),
                span: k.span(),
                table: table.to_string(),
            })
        })
        .collect::<Result<_>>()?;
    // in the order written.
    out.sort_by_key(|o| o.span.start);
    Ok(out)
}

/// A time (or `"end"`) as written for `at`, `from` or `to`.
fn time_of(s: &Source, q: &Spanned<QuantityText>, key: &str) -> Result<f64> {
    let t = s.quantity(q, Dimension::Time, key)?;
    if t < 0.0 {
        return Err(s.error(q.span(), key, "must be a time ≥ 0"));
    }
    Ok(t)
}

fn at_of(s: &Source, m: &MeasureFile, key: &str) -> Result<Option<At>> {
    match (&m.at, &m.at_temperature) {
        (Some(a), Some(_)) => Err(s.error(
            a.span(),
            format!("{key}.at"),
            "give `at` or `at_temperature`, not both",
        )),
        (None, Some(t)) => {
            let temperature =
                s.quantity(t, Dimension::Temperature, &format!("{key}.at_temperature"))?;
            Ok(Some(At::Temperature(temperature)))
        }
        (Some(a), None) => Ok(Some(match a.get_ref() {
            QuantityText::Text(t) if t.trim() == "end" => At::End,
            QuantityText::Text(t) if t.trim() == "end_of_program" => At::EndOfProgram,
            QuantityText::Text(t) if t.trim().starts_with("end_of_step") => {
                let k = t.trim()["end_of_step".len()..].trim();
                match k.parse::<usize>() {
                    Ok(k) if k >= 1 => At::EndOfStep(k),
                    _ => {
                        return Err(s.error(
                            a.span(),
                            format!("{key}.at"),
                            format!(
                                "`{}`: write `end_of_step K` with K = 1, 2, … the step of `program.steps`",
                                t.trim()
                            ),
                        ));
                    }
                }
            }
            _ => At::Time(time_of(s, a, &format!("{key}.at"))?),
        })),
        (None, None) => Ok(None),
    }
}

fn observable(m: &MeasureFile) -> ObservableRef {
    ObservableRef {
        name: m.observable.get_ref().trim().to_string(),
        domain: m.domain.as_ref().map(|d| d.get_ref().clone()),
        species: m.species.as_ref().map(|sp| match sp.get_ref() {
            StringOrList::One(x) => vec![x.clone()],
            StringOrList::Many(v) => v.clone(),
        }),
        rule: m.rule.as_ref().map(|r| r.get_ref().clone()),
        into: m.into.as_ref().map(|d| d.get_ref().clone()),
    }
}

// one check per key of a measure, then one arm per quantity
#[allow(clippy::too_many_lines)]
fn measure_of(s: &Source, m: &MeasureFile, key: &str) -> Result<Measure> {
    const QUANTITIES: [&str; 6] = [
        "value",
        "change",
        "slope",
        "time_average",
        "exponent",
        "ratio",
    ];
    let qkey = format!("{key}.quantity");
    let Some(qspanned) = &m.quantity else {
        return Err(s.error(
            m.observable.span(),
            qkey,
            "missing key `quantity` (value, change, slope, time_average, exponent or ratio)",
        ));
    };
    let qname = qspanned.get_ref().as_str();
    let at = at_of(s, m, key)?;
    let window = || -> Result<(f64, f64)> {
        let from = m
            .from
            .as_ref()
            .map(|f| time_of(s, f, &format!("{key}.from")))
            .transpose()?
            .unwrap_or(0.0);
        let to = match &m.to {
            Some(t) => time_of(s, t, &format!("{key}.to"))?,
            None => f64::INFINITY,
        };
        if to <= from {
            return Err(s.error(
                m.to.as_ref().map_or(qspanned.span(), Spanned::span),
                format!("{key}.to"),
                "must be later than `from`",
            ));
        }
        Ok((from, to))
    };
    let needs_no_window = |q: &str| -> Result<()> {
        for (x, k) in [(&m.from, "from"), (&m.to, "to")] {
            if let Some(x) = x {
                return Err(s.error(
                    x.span(),
                    format!("{key}.{k}"),
                    format!("quantity `{q}` is taken at one moment (`at`), not over a window"),
                ));
            }
        }
        Ok(())
    };
    let needs_no_at = |q: &str| -> Result<()> {
        if let Some(a) =
            m.at.as_ref()
                .map(Spanned::span)
                .or(m.at_temperature.as_ref().map(Spanned::span))
        {
            return Err(s.error(
                a,
                format!("{key}.at"),
                format!("quantity `{q}` is taken over a window (`from`, `to`), not at one moment"),
            ));
        }
        Ok(())
    };
    let quantity = match qname {
        "value" | "change" | "ratio" => {
            needs_no_window(qname)?;
            let at = at.unwrap_or(At::End);
            match qname {
                "value" => Quantity::Value(at),
                "change" => Quantity::Change(at),
                _ => {
                    let d = m.denominator.as_ref().ok_or_else(|| {
                        s.error(
                            qspanned.span(),
                            qkey.clone(),
                            "quantity `ratio` needs a `denominator = { observable = …, … }`",
                        )
                    })?;
                    let extra = d.quantity.is_some()
                        || d.at.is_some()
                        || d.at_temperature.is_some()
                        || d.from.is_some()
                        || d.to.is_some()
                        || d.scale.is_some()
                        || d.offset.is_some()
                        || d.denominator.is_some();
                    if extra {
                        return Err(s.error(
                            d.observable.span(),
                            format!("{key}.denominator"),
                            "a denominator takes only `observable`, `domain`, `into`, `species` and `rule` \
                             (it is read at the same moment as the numerator)",
                        ));
                    }
                    Quantity::Ratio(at, observable(d))
                }
            }
        }
        "slope" | "time_average" | "exponent" => {
            needs_no_at(qname)?;
            let (from, to) = window()?;
            match qname {
                "slope" => Quantity::Slope(from, to),
                "time_average" => Quantity::TimeAverage(from, to),
                _ => Quantity::Exponent(from, to),
            }
        }
        other => {
            let hint = crate::input::closest(other, &QUANTITIES)
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            return Err(s.error(
                qspanned.span(),
                qkey,
                format!(
                    "unknown quantity `{other}`, expected one of {}{hint}",
                    QUANTITIES.map(|q| format!("`{q}`")).join(", ")
                ),
            ));
        }
    };
    if let Some(d) = &m.denominator
        && qname != "ratio"
    {
        return Err(s.error(
            d.observable.span(),
            format!("{key}.denominator"),
            "only quantity `ratio` takes a denominator",
        ));
    }
    if m.observable.get_ref().trim().is_empty() {
        return Err(s.error(
            m.observable.span(),
            format!("{key}.observable"),
            "must name a dataset under /observables (docs/output.md)",
        ));
    }
    let scale = match &m.scale {
        Some(v) if !(v.get_ref().is_finite() && *v.get_ref() != 0.0) => {
            return Err(s.error(
                v.span(),
                format!("{key}.scale"),
                "must be a finite non-zero number",
            ));
        }
        Some(v) => *v.get_ref(),
        None => 1.0,
    };
    let offset = match &m.offset {
        Some(v) if !v.get_ref().is_finite() => {
            return Err(s.error(
                v.span(),
                format!("{key}.offset"),
                "must be a finite number (in the units of the scaled observable)",
            ));
        }
        Some(v) => *v.get_ref(),
        None => 0.0,
    };
    Ok(Measure {
        observable: observable(m),
        quantity,
        scale,
        offset,
        key: key.to_string(),
        location: s.location(m.observable.span().start),
    })
}

// one arm per condition, each checking its own keys
#[allow(clippy::too_many_lines)]
fn expectation(
    s: &Source,
    e: &ExpectFile,
    measure: &Measure,
    has_against: bool,
) -> Result<Expectation> {
    const TYPES: [&str; 6] = [
        "matches",
        "range",
        "at_least",
        "at_most",
        "ordering",
        "unchanged_within",
    ];
    let kind = e.kind.get_ref().as_str();
    let nonneg = |v: &Option<Spanned<f64>>, k: &str| -> Result<f64> {
        match v {
            Some(x) if !(x.get_ref().is_finite() && *x.get_ref() >= 0.0) => Err(s.error(
                x.span(),
                format!("expect.{k}"),
                "must be a finite number ≥ 0",
            )),
            Some(x) => Ok(*x.get_ref()),
            None => Ok(0.0),
        }
    };
    let tolerance = nonneg(&e.tolerance, "tolerance")?;
    let relative = nonneg(&e.relative_tolerance, "relative_tolerance")?;
    let sigmas = match &e.sigmas {
        None => 3.0,
        Some(_) => nonneg(&e.sigmas, "sigmas")?,
    };
    let value = |what: &str| -> Result<f64> {
        let v = e.value.as_ref().ok_or_else(|| {
            s.error(
                e.kind.span(),
                "expect.value",
                format!("`{what}` needs `value`"),
            )
        })?;
        if !v.get_ref().is_finite() {
            return Err(s.error(v.span(), "expect.value", "must be a finite number"));
        }
        Ok(*v.get_ref())
    };
    let forbid = |present: bool, span: Option<std::ops::Range<usize>>, k: &str| -> Result<()> {
        if present {
            return Err(s.error(
                span.unwrap_or(e.kind.span()),
                format!("expect.{k}"),
                format!("`{kind}` takes no `{k}`"),
            ));
        }
        Ok(())
    };
    let range_span = e.range.as_ref().map(Spanned::span);
    let value_span = e.value.as_ref().map(Spanned::span);
    let order_span = e.order.as_ref().map(Spanned::span);
    if kind != "ordering" && has_against {
        return Err(s.error(
            e.kind.span(),
            "expect.type",
            "an `[against]` measure is only used by `ordering`",
        ));
    }
    if kind != "ordering" {
        forbid(e.order.is_some(), order_span.clone(), "order")?;
    }
    let base = super::verdict::Allowance {
        tolerance,
        relative,
        sigmas,
    };
    Ok(match kind {
        "matches" | "at_least" | "at_most" => {
            forbid(e.range.is_some(), range_span, "range")?;
            let v = value(kind)?;
            match kind {
                "matches" => Expectation::Matches(v, base),
                "at_least" => Expectation::AtLeast(v, base),
                _ => Expectation::AtMost(v, base),
            }
        }
        "range" => {
            forbid(e.value.is_some(), value_span, "value")?;
            let r = e.range.as_ref().ok_or_else(|| {
                s.error(
                    e.kind.span(),
                    "expect.range",
                    "`range` needs `range = [lo, hi]`",
                )
            })?;
            match r.get_ref().as_slice() {
                [lo, hi] if lo.is_finite() && hi.is_finite() && lo <= hi => {
                    Expectation::Range(*lo, *hi, base)
                }
                _ => {
                    return Err(s.error(
                        r.span(),
                        "expect.range",
                        "must be two finite numbers [lo, hi] with lo ≤ hi",
                    ));
                }
            }
        }
        "ordering" => {
            forbid(e.value.is_some(), value_span, "value")?;
            forbid(e.range.is_some(), range_span, "range")?;
            if !has_against {
                return Err(s.error(
                    e.kind.span(),
                    "expect.type",
                    "`ordering` compares `[measure]` with an `[against]` measure; add one",
                ));
            }
            let o = e.order.as_ref().ok_or_else(|| {
                s.error(
                    e.kind.span(),
                    "expect.order",
                    "`ordering` needs `order = \"greater\"` or `\"less\"`",
                )
            })?;
            let order = match o.get_ref().as_str() {
                "greater" => Order::Greater,
                "less" => Order::Less,
                other => {
                    return Err(s.error(
                        o.span(),
                        "expect.order",
                        format!("unknown order `{other}`, expected `greater` or `less`"),
                    ));
                }
            };
            Expectation::Ordering(order, base)
        }
        "unchanged_within" => {
            forbid(e.value.is_some(), value_span, "value")?;
            forbid(e.range.is_some(), range_span, "range")?;
            if !matches!(measure.quantity, Quantity::Change(_)) {
                return Err(s.error(
                    e.kind.span(),
                    "expect.type",
                    "`unchanged_within` needs `measure.quantity = \"change\"` (the change from frame 0)",
                ));
            }
            if tolerance == 0.0 && relative == 0.0 {
                return Err(s.error(
                    e.kind.span(),
                    "expect.tolerance",
                    "`unchanged_within` needs `tolerance` or `relative_tolerance` (> 0)",
                ));
            }
            Expectation::Unchanged(base)
        }
        other => {
            let hint = crate::input::closest(other, &TYPES)
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            return Err(s.error(
                e.kind.span(),
                "expect.type",
                format!(
                    "unknown condition `{other}`, expected one of {}{hint}",
                    TYPES.map(|t| format!("`{t}`")).join(", ")
                ),
            ));
        }
    })
}
