//! The viewing geometry: the zone axis, the image plane perpendicular to it, and the pixel
//! grid that covers the projected sites.
//!
//! The beam runs along the zone axis `a` (box frame). The image plane has the orthonormal
//! basis `u` (right), `v` (up) with `u × v = â`: the axis points at the viewer. `v` is the
//! part of the box's `z` perpendicular to `a` (of `y` when `a ∥ z`), so `--axis x` shows
//! (y, z), `--axis y` shows (−x, z) and `--axis z` shows (x, y).

use std::path::Path;

use crate::error::{Error, Location, Result};

/// A zone axis: a direction in the box frame (not necessarily normalised).
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneAxis {
    /// The direction [any length unit].
    pub direction: [f64; 3],
    /// Written as a direction of a domain's crystal (`DOMAIN:[uvw]`): the domain as
    /// written, and the indices; [`ZoneAxis::resolve`] sets `direction` from its cell.
    pub crystal: Option<CrystalAxis>,
}

/// A zone axis in a domain's crystal: `[uvw]` or four-index `[UVTW]` (hexagonal cells).
#[derive(Debug, Clone, PartialEq)]
pub struct CrystalAxis {
    /// The domain, as written (`particle/domain` or a domain name unique among them).
    pub domain: String,
    /// Three or four direction indices.
    pub indices: Vec<f64>,
    /// The indices as written, for the annotation.
    pub text: String,
}

fn axis_error(text: &str, why: &str) -> Error {
    Error::Input {
        location: Location {
            path: Path::new("<command line>").to_path_buf(),
            line: 0,
            column: 0,
        },
        key: "axis".into(),
        message: format!(
            "invalid zone axis `{text}`: {why} (expected `x`, `y`, `z`, three numbers `u,v,w` \
             in the box frame, e.g. `1,1,0`, or a crystal direction of a domain, e.g. \
             `rod/CdSe:[2-1-10]`)"
        ),
    }
}

impl ZoneAxis {
    /// Parses `x`, `y`, `z` or `u,v,w` (also `[u v w]`, `[uvw]` with single digits).
    ///
    /// # Errors
    /// [`Error::Input`] (key `axis`) for anything else or a zero vector.
    pub fn parse(text: &str) -> Result<Self> {
        if let Some((domain, indices)) = text.rsplit_once(':') {
            let domain = domain.trim();
            if domain.is_empty() {
                return Err(axis_error(text, "no domain before `:`"));
            }
            let indices_text = indices.trim();
            let parts = index_parts(text, indices_text, 4)?;
            if parts.len() != 3 && parts.len() != 4 {
                return Err(axis_error(
                    text,
                    "a crystal direction has three indices [uvw] or four [UVTW]",
                ));
            }
            if parts.len() == 4 && (parts[0] + parts[1] + parts[2]).abs() > 1e-9 {
                return Err(axis_error(
                    text,
                    "four-index direction [U V T W] needs T = −(U + V)",
                ));
            }
            if parts.iter().all(|&x| x == 0.0) {
                return Err(axis_error(text, "the zero vector has no direction"));
            }
            return Ok(Self {
                direction: [0.0, 0.0, 1.0],
                crystal: Some(CrystalAxis {
                    domain: domain.to_string(),
                    indices: parts,
                    text: indices_text.to_string(),
                }),
            });
        }
        let t = text.trim();
        let direction = match t.to_ascii_lowercase().as_str() {
            "x" => [1.0, 0.0, 0.0],
            "y" => [0.0, 1.0, 0.0],
            "z" => [0.0, 0.0, 1.0],
            _ => {
                let parts = index_parts(text, t, 3)?;
                if parts.len() != 3 {
                    return Err(axis_error(text, "a vector needs three components"));
                }
                [parts[0], parts[1], parts[2]]
            }
        };
        if norm(direction) == 0.0 {
            return Err(axis_error(text, "the zero vector has no direction"));
        }
        Ok(Self {
            direction,
            crystal: None,
        })
    }

    /// Turns a crystal zone axis into its box-frame direction with the cell vectors of its
    /// domain (`cells`, from the trajectory, in the order of `domain_names`); a box-frame
    /// axis is returned as it is.
    ///
    /// # Errors
    /// [`Error::Input`] (key `axis`) for an unknown or ambiguous domain, a domain without a
    /// crystal, or a trajectory that does not store its domains' cells.
    pub fn resolve(
        &self,
        domain_names: &[String],
        cells: Option<&[[[f64; 3]; 3]]>,
    ) -> Result<Self> {
        let Some(c) = &self.crystal else {
            return Ok(self.clone());
        };
        let written = format!("{}:{}", c.domain, c.text);
        let matches: Vec<usize> = domain_names
            .iter()
            .enumerate()
            .filter(|(_, n)| **n == c.domain || n.rsplit('/').next() == Some(c.domain.as_str()))
            .map(|(i, _)| i)
            .collect();
        let index = match matches.as_slice() {
            [one] => *one,
            [] => {
                return Err(axis_error(
                    &written,
                    &format!(
                        "no domain `{}` (the trajectory has: {})",
                        c.domain,
                        domain_names.join(", ")
                    ),
                ));
            }
            _ => {
                return Err(axis_error(
                    &written,
                    &format!(
                        "`{}` names several domains: write `particle/domain`",
                        c.domain
                    ),
                ));
            }
        };
        let Some(cells) = cells else {
            return Err(axis_error(
                &written,
                "the trajectory does not store its domains' crystal cells (written by an older nanokmc): give the axis in the box frame",
            ));
        };
        let cell = cells.get(index).copied().unwrap_or([[f64::NAN; 3]; 3]);
        if cell.iter().flatten().any(|x| !x.is_finite()) {
            return Err(axis_error(
                &written,
                &format!("domain `{}` has no crystal", domain_names[index]),
            ));
        }
        let [u, v, w] = match c.indices[..] {
            [u, v, w] => [u, v, w],
            [u, v, t, w] => [u - t, v - t, w],
            _ => return Err(axis_error(&written, "three or four indices")),
        };
        let direction: [f64; 3] =
            std::array::from_fn(|k| u * cell[0][k] + v * cell[1][k] + w * cell[2][k]);
        if norm(direction) == 0.0 {
            return Err(axis_error(&written, "the zero vector has no direction"));
        }
        Ok(Self {
            direction,
            crystal: self.crystal.clone(),
        })
    }

    /// The unit vectors `(u, v, â)` of the image plane and the axis (see the module doc).
    #[must_use]
    pub fn basis(&self) -> ([f64; 3], [f64; 3], [f64; 3]) {
        let a = scale(self.direction, 1.0 / norm(self.direction));
        let reference = if a[0].abs() < 1e-9 && a[1].abs() < 1e-9 {
            [0.0, 1.0, 0.0]
        } else {
            [0.0, 0.0, 1.0]
        };
        let v = sub(reference, scale(a, dot(reference, a)));
        let v = scale(v, 1.0 / norm(v));
        let u = cross(v, a);
        (u, v, a)
    }

    /// A short name for annotations: `[x]`, `[y]`, `[z]`, `[u v w]`, or the crystal
    /// direction with its domain (`[2-1-10] of rod/CdSe`).
    #[must_use]
    pub fn label(&self) -> String {
        if let Some(c) = &self.crystal {
            let t = c.text.trim_start_matches('[').trim_end_matches(']');
            return format!("[{t}] of {}", c.domain);
        }
        match self.direction {
            [x, 0.0, 0.0] if x > 0.0 => "x".into(),
            [0.0, y, 0.0] if y > 0.0 => "y".into(),
            [0.0, 0.0, z] if z > 0.0 => "z".into(),
            [u, v, w] => format!("[{u} {v} {w}]"),
        }
    }
}

/// The numbers of a direction written `u,v,w`, `u v w`, `[u v w]` or, with single-digit
/// indices, `[uvw]` / `[1-10]` (at most `max` of them).
fn index_parts(text: &str, t: &str, max: usize) -> Result<Vec<f64>> {
    let inner = t.trim_start_matches('[').trim_end_matches(']').trim();
    let parts: Vec<String> = if inner.contains(',') || inner.contains(' ') {
        inner
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    } else if t.starts_with('[') {
        // Miller-style [uvw] with single-digit indices, e.g. [110] or [1-10].
        let mut parts = Vec::new();
        let mut sign = "";
        for c in inner.chars() {
            if c == '-' {
                sign = "-";
            } else {
                parts.push(format!("{sign}{c}"));
                sign = "";
            }
        }
        parts
    } else {
        return Err(axis_error(text, "unknown axis"));
    };
    if parts.len() > max {
        return Err(axis_error(text, &format!("at most {max} components")));
    }
    parts
        .iter()
        .map(|part| {
            part.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| axis_error(text, &format!("`{part}` is not a number")))
        })
        .collect()
}

/// The pixel grid of the image: pixel `(column i, row j)` has its centre at
/// `u = u_min + (i + ½) p`, `v = v_max − (j + ½) p` (row 0 at the top).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageGrid {
    /// Left edge [Å].
    pub u_min: f64,
    /// Top edge [Å].
    pub v_max: f64,
    /// Pixel size [Å].
    pub pixel: f64,
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
}

/// Images larger than this many pixels per side are refused (a pixel size typo).
pub const MAX_PIXELS_PER_SIDE: usize = 8192;

impl ImageGrid {
    /// The grid of pixel size `pixel` [Å] covering the points `(u, v)` with a margin
    /// `margin` [Å] on every side.
    ///
    /// # Errors
    /// [`Error::Input`] (key `pixel`) if the grid would exceed [`MAX_PIXELS_PER_SIDE`] or
    /// there is no point.
    pub fn covering(points: &[[f64; 2]], pixel: f64, margin: f64) -> Result<Self> {
        let bad = |message: String| Error::Input {
            location: Location {
                path: Path::new("<command line>").to_path_buf(),
                line: 0,
                column: 0,
            },
            key: "pixel".into(),
            message,
        };
        let (mut u0, mut u1, mut v0, mut v1) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for p in points {
            u0 = u0.min(p[0]);
            u1 = u1.max(p[0]);
            v0 = v0.min(p[1]);
            v1 = v1.max(p[1]);
        }
        if !u0.is_finite() {
            return Err(bad("the trajectory has no site to image".into()));
        }
        let count = |extent: f64| -> Result<usize> {
            let n = ((extent + 2.0 * margin) / pixel).ceil().max(1.0);
            #[allow(clippy::cast_precision_loss)]
            let limit = MAX_PIXELS_PER_SIDE as f64;
            if n > limit {
                return Err(bad(format!(
                    "a pixel of {pixel} Å gives {n} pixels across {:.1} Å, more than the limit \
                     of {MAX_PIXELS_PER_SIDE}; choose a larger pixel",
                    extent + 2.0 * margin
                )));
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(n as usize)
        };
        let width = count(u1 - u0)?;
        let height = count(v1 - v0)?;
        // Centre the sites in the grid.
        #[allow(clippy::cast_precision_loss)]
        let (w, h) = (width as f64 * pixel, height as f64 * pixel);
        Ok(Self {
            u_min: 0.5 * (u0 + u1) - 0.5 * w,
            v_max: 0.5 * (v0 + v1) + 0.5 * h,
            pixel,
            width,
            height,
        })
    }

    /// Width of the field of view [Å].
    #[must_use]
    pub fn field_width(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let w = self.width as f64;
        w * self.pixel
    }
}

/// Projects `positions` [Å] onto the image plane of `axis`: `(u, v)` per site [Å].
#[must_use]
pub fn project_positions(positions: &[[f64; 3]], axis: &ZoneAxis) -> Vec<[f64; 2]> {
    let (u, v, _) = axis.basis();
    positions.iter().map(|p| [dot(*p, u), dot(*p, v)]).collect()
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

fn scale(a: [f64; 3], s: f64) -> [f64; 3] {
    [a[0] * s, a[1] * s, a[2] * s]
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    /// Wurtzite-like hexagonal cell (a = 4.3 Å, c = 7.0 Å): [2-1-10] is 3a along x, [0001]
    /// is c; the same cell turned 180° about x (the bottom of the sandwich) has [0001] = −z;
    /// a substrate (NaN cell) and an ambiguous short name are errors.
    #[test]
    fn crystal_axes_follow_the_domain_cell() {
        let (a, c) = (4.3, 7.0);
        let hex = [
            [a, 0.0, 0.0],
            [-a / 2.0, a * 3f64.sqrt() / 2.0, 0.0],
            [0.0, 0.0, c],
        ];
        let turned = [
            hex[0],
            [-a / 2.0, -a * 3f64.sqrt() / 2.0, 0.0],
            [0.0, 0.0, -c],
        ];
        let names = vec![
            "s/top".to_string(),
            "s/bottom".to_string(),
            "film".to_string(),
        ];
        let cells = vec![hex, turned, [[f64::NAN; 3]; 3]];
        let dir = |text: &str| {
            ZoneAxis::parse(text)
                .unwrap()
                .resolve(&names, Some(&cells))
                .map(|z| z.direction)
        };
        let close = |x: [f64; 3], y: [f64; 3]| (0..3).all(|k| (x[k] - y[k]).abs() < 1e-12);
        assert!(close(dir("top:[2-1-10]").unwrap(), [3.0 * a, 0.0, 0.0]));
        assert!(close(dir("s/top:[0001]").unwrap(), [0.0, 0.0, c]));
        assert!(close(dir("bottom:[0001]").unwrap(), [0.0, 0.0, -c]));
        assert!(close(dir("top:0,0,1").unwrap(), [0.0, 0.0, c]));
        assert_eq!(
            ZoneAxis::parse("top:[2-1-10]").unwrap().label(),
            "[2-1-10] of top"
        );
        let e = dir("film:[001]").unwrap_err().to_string();
        assert!(e.contains("has no crystal"), "{e}");
        let e = ZoneAxis::parse("top:[001]")
            .unwrap()
            .resolve(&names, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not store"), "{e}");
        let two = vec!["p/top".to_string(), "q/top".to_string()];
        let e = ZoneAxis::parse("top:[001]")
            .unwrap()
            .resolve(&two, Some(&cells[..2]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("several domains"), "{e}");
    }

    #[test]
    fn axis_parse_accepts_names_and_vectors() {
        assert_eq!(ZoneAxis::parse("x").unwrap().direction, [1.0, 0.0, 0.0]);
        assert_eq!(ZoneAxis::parse("1,1,0").unwrap().direction, [1.0, 1.0, 0.0]);
        assert_eq!(ZoneAxis::parse("[110]").unwrap().direction, [1.0, 1.0, 0.0]);
        assert_eq!(
            ZoneAxis::parse("[1-10]").unwrap().direction,
            [1.0, -1.0, 0.0]
        );
        assert_eq!(
            ZoneAxis::parse("[1 1 1]").unwrap().direction,
            [1.0, 1.0, 1.0]
        );
        for bad in ["w", "1,2", "0,0,0", "1,a,0", ""] {
            let e = ZoneAxis::parse(bad).unwrap_err().to_string();
            assert!(e.contains("key `axis`"), "{e}");
        }
    }

    #[test]
    fn axis_basis_is_right_handed_and_orthonormal() {
        for text in ["x", "y", "z", "1,1,0", "1,2,3", "0,0,-1"] {
            let (u, v, a) = ZoneAxis::parse(text).unwrap().basis();
            for (p, q) in [(u, v), (v, a), (u, a)] {
                assert!(dot(p, q).abs() < 1e-12, "{text}");
            }
            for p in [u, v, a] {
                assert!((norm(p) - 1.0).abs() < 1e-12, "{text}");
            }
            let c = cross(u, v);
            assert!(norm(sub(c, a)) < 1e-12, "{text}: u × v = a");
        }
        let (u, v, _) = ZoneAxis::parse("x").unwrap().basis();
        assert_eq!((u, v), ([0.0, 1.0, 0.0], [0.0, 0.0, 1.0]));
        let (u, v, _) = ZoneAxis::parse("z").unwrap().basis();
        assert_eq!((u, v), ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]));
    }
}
