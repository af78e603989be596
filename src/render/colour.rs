//! Grey levels for HAADF images and the colour composite of elemental (EDS-like) maps.
//!
//! - HAADF: intensity `I / I_ref` (or counts / expected counts at `I_ref` with noise)
//!   mapped linearly to 0–255, clipped at 1: vacuum is black, the brightest pixel of the
//!   first rendered frame white, and every frame of one command uses the same scale.
//! - EDS composite: each species' map `m_s` is normalised by its own reference (its
//!   brightest pixel in the first rendered frame), multiplied by the species' colour and the
//!   maps are added (additive mixing, clipped per channel): where two species overlap the
//!   colours mix (red + green = yellow). The default colour of species id `k` (id 0 is the
//!   vacancy, never drawn) is `DEFAULT_COLOURS[k − 1]`: red, green, blue, cyan, magenta,
//!   yellow, orange, white, then repeating; `--colors NAME=COLOUR,…` overrides it.

use std::path::Path;

use super::projection::Image;
use crate::error::{Error, Location, Result};

/// An 8-bit RGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour(pub [u8; 3]);

/// Named colours accepted by [`Colour::parse`] besides `#rrggbb`.
pub const NAMED_COLOURS: [(&str, [u8; 3]); 8] = [
    ("red", [255, 0, 0]),
    ("green", [0, 255, 0]),
    ("blue", [0, 0, 255]),
    ("cyan", [0, 255, 255]),
    ("magenta", [255, 0, 255]),
    ("yellow", [255, 255, 0]),
    ("orange", [255, 140, 0]),
    ("white", [255, 255, 255]),
];

/// The default colour of species id `k ≥ 1` is `DEFAULT_COLOURS[(k − 1) % 8]`.
pub const DEFAULT_COLOURS: [[u8; 3]; 8] = [
    NAMED_COLOURS[0].1,
    NAMED_COLOURS[1].1,
    NAMED_COLOURS[2].1,
    NAMED_COLOURS[3].1,
    NAMED_COLOURS[4].1,
    NAMED_COLOURS[5].1,
    NAMED_COLOURS[6].1,
    NAMED_COLOURS[7].1,
];

fn colour_error(key: &str, message: String) -> Error {
    Error::Input {
        location: Location {
            path: Path::new("<command line>").to_path_buf(),
            line: 0,
            column: 0,
        },
        key: key.to_string(),
        message,
    }
}

impl Colour {
    /// Parses a colour name of [`NAMED_COLOURS`] or `#rrggbb`.
    ///
    /// # Errors
    /// [`Error::Input`] (key `colors`) naming the text.
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim();
        if let Some((_, rgb)) = NAMED_COLOURS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(t))
        {
            return Ok(Colour(*rgb));
        }
        let hex = t.strip_prefix('#').unwrap_or("");
        if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
            return Ok(Colour([byte(0), byte(2), byte(4)]));
        }
        let names: Vec<&str> = NAMED_COLOURS.iter().map(|(n, _)| *n).collect();
        Err(colour_error(
            "colors",
            format!(
                "unknown colour `{t}` (expected #rrggbb or one of {})",
                names.join(", ")
            ),
        ))
    }

    /// The default colour of species id `species` (≥ 1).
    #[must_use]
    pub fn default_for(species: usize) -> Self {
        Colour(DEFAULT_COLOURS[species.saturating_sub(1) % DEFAULT_COLOURS.len()])
    }
}

/// Parses `NAME=VALUE,NAME=VALUE` assignments of the option `key`, e.g. `A=red,B=#00ff00`
/// or `A=29,B=48`.
///
/// # Errors
/// [`Error::Input`] (key `key`) for an item without `=`.
pub fn parse_assignments(text: &str, key: &str) -> Result<Vec<(String, String)>> {
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|item| {
            item.split_once('=')
                .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| {
                    colour_error(
                        key,
                        format!("`{}` is not of the form NAME=VALUE", item.trim()),
                    )
                })
        })
        .collect()
}

/// 8-bit grey RGB of `image` scaled so that `reference` is white (clipped above).
#[must_use]
pub fn grey(image: &Image, reference: f64) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(3 * image.values.len());
    for &v in &image.values {
        let g = level(v / reference);
        rgb.extend_from_slice(&[g, g, g]);
    }
    rgb
}

/// The additive colour composite of `maps` (each with its reference and colour).
#[must_use]
pub fn composite(maps: &[(Image, f64, Colour)], width: usize, height: usize) -> Vec<u8> {
    let mut sum = vec![0.0f64; 3 * width * height];
    for (image, reference, Colour(rgb)) in maps {
        for (p, &v) in image.values.iter().enumerate() {
            let share = (v / reference).clamp(0.0, 1.0);
            for c in 0..3 {
                sum[3 * p + c] += share * f64::from(rgb[c]) / 255.0;
            }
        }
    }
    sum.into_iter().map(level).collect()
}

/// 0–1 → 0–255, clipped, rounded.
fn level(x: f64) -> u8 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let g = (x.clamp(0.0, 1.0) * 255.0).round() as u8;
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_parse_names_and_hex() {
        assert_eq!(Colour::parse("Red").unwrap(), Colour([255, 0, 0]));
        assert_eq!(Colour::parse("#0a10ff").unwrap(), Colour([10, 16, 255]));
        assert!(Colour::parse("#12345").is_err());
        assert!(
            Colour::parse("mauve")
                .unwrap_err()
                .to_string()
                .contains("mauve")
        );
    }

    #[test]
    fn composite_adds_colours() {
        let a = Image {
            width: 1,
            height: 1,
            values: vec![2.0],
        };
        let b = Image {
            width: 1,
            height: 1,
            values: vec![1.0],
        };
        let rgb = composite(
            &[(a, 2.0, Colour([255, 0, 0])), (b, 1.0, Colour([0, 255, 0]))],
            1,
            1,
        );
        assert_eq!(rgb, vec![255, 255, 0]);
    }
}
