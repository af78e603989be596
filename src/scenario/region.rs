//! Geometric regions written in a scenario (`region = { type = "box" | "slab" | "shell", … }`):
//! the filter of an `[[analysis]]` entry and of an `[[initial]]` change. One parser, so the
//! two read the same keys with the same messages.

use std::ops::Range;

use super::compile::listing;
use super::file::RegionFile;
use crate::analysis::{Center, RegionShape};
use crate::error::{Error, Result};
use crate::input::{Quantity, Source, Spanned, closest};
use crate::units::Dimension;

fn err(source: &Source, span: Range<usize>, key: &str, message: impl Into<String>) -> Error {
    source.error(span, key, message)
}

fn length(source: &Source, q: &Quantity, key: &str) -> Result<f64> {
    let v = source.quantity(q, Dimension::Length, key)?;
    if v > 0.0 && v.is_finite() {
        Ok(v)
    } else {
        Err(err(source, q.span(), key, "must be a positive length"))
    }
}

fn signed_length(source: &Source, q: &Quantity, key: &str) -> Result<f64> {
    source.quantity(q, Dimension::Length, key)
}

/// A region shape from the file (`type` = `box`, `slab` or `shell`), every key checked at its
/// line and column.
///
/// # Errors
/// An unknown type, a key the type does not take, a missing or malformed key.
// one arm per region type, each short.
#[allow(clippy::too_many_lines)]
pub(super) fn shape(source: &Source, r: &Spanned<RegionFile>, key: &str) -> Result<RegionShape> {
    let f = r.get_ref();
    let kind = f.kind.get_ref().as_str();
    let takes: &[&str] = match kind {
        "box" => &["min", "max"],
        "slab" => &["normal", "from", "to"],
        "shell" => &["center", "inner", "outer"],
        other => {
            let known = ["box", "slab", "shell"];
            let hint =
                closest(other, &known).map_or(String::new(), |h| format!("; did you mean `{h}`?"));
            return Err(err(
                source,
                f.kind.span(),
                &format!("{key}.type"),
                format!(
                    "unknown region `{other}` (known: {}){hint}",
                    listing(known.iter().copied())
                ),
            ));
        }
    };
    let given = [
        ("min", f.min.is_some()),
        ("max", f.max.is_some()),
        ("normal", f.normal.is_some()),
        ("from", f.from.is_some()),
        ("to", f.to.is_some()),
        ("center", f.center.is_some()),
        ("inner", f.inner.is_some()),
        ("outer", f.outer.is_some()),
    ];
    for (k, present) in given {
        if present && !takes.contains(&k) {
            return Err(err(
                source,
                r.span(),
                &format!("{key}.{k}"),
                format!(
                    "a `{kind}` region does not take `{k}` (it takes {})",
                    listing(takes.iter().copied())
                ),
            ));
        }
    }
    let need = |k: &str| {
        err(
            source,
            r.span(),
            &format!("{key}.{k}"),
            format!("a `{kind}` region needs `{k}`"),
        )
    };
    let vector = |v: &[Quantity; 3], k: &str| -> Result<[f64; 3]> {
        let mut out = [0.0; 3];
        for (a, q) in v.iter().enumerate() {
            out[a] = signed_length(source, q, &format!("{key}.{k}[{a}]"))?;
        }
        Ok(out)
    };
    match kind {
        "box" => {
            let min = vector(f.min.as_ref().ok_or_else(|| need("min"))?, "min")?;
            let max = vector(f.max.as_ref().ok_or_else(|| need("max"))?, "max")?;
            if (0..3).any(|a| max[a] <= min[a]) {
                return Err(err(
                    source,
                    r.span(),
                    &format!("{key}.max"),
                    "every component of `max` must exceed that of `min`",
                ));
            }
            Ok(RegionShape::Box { min, max })
        }
        "slab" => {
            let n = f.normal.as_ref().ok_or_else(|| need("normal"))?;
            let v = n.get_ref();
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            if v.len() != 3 || !(norm.is_finite() && norm > 0.0) {
                return Err(err(
                    source,
                    n.span(),
                    &format!("{key}.normal"),
                    "must be a non-zero vector [x, y, z]",
                ));
            }
            let from_q = f.from.as_ref().ok_or_else(|| need("from"))?;
            let to_q = f.to.as_ref().ok_or_else(|| need("to"))?;
            let from = signed_length(source, from_q, &format!("{key}.from"))?;
            let to = signed_length(source, to_q, &format!("{key}.to"))?;
            if to <= from {
                return Err(err(
                    source,
                    to_q.span(),
                    &format!("{key}.to"),
                    "must exceed `from`",
                ));
            }
            Ok(RegionShape::Slab {
                normal: [v[0] / norm, v[1] / norm, v[2] / norm],
                from,
                to,
            })
        }
        _ => {
            let outer_q = f.outer.as_ref().ok_or_else(|| need("outer"))?;
            let outer = length(source, outer_q, &format!("{key}.outer"))?;
            let inner = match &f.inner {
                None => 0.0,
                Some(q) => {
                    let v = signed_length(source, q, &format!("{key}.inner"))?;
                    if !(v >= 0.0 && v < outer) {
                        return Err(err(
                            source,
                            q.span(),
                            &format!("{key}.inner"),
                            "must be a length ≥ 0 and below `outer`",
                        ));
                    }
                    v
                }
            };
            let center = match &f.center {
                None => Center::Atoms,
                Some(c) => Center::Point(vector(c, "center")?),
            };
            Ok(RegionShape::Shell {
                center,
                inner,
                outer,
            })
        }
    }
}
