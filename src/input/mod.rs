//! Shared machinery for reading TOML input files (potentials, scenarios).
//!
//! - [`Source`] keeps a file's path and text, and turns byte spans into line/column
//!   [`Location`]s for error messages.
//! - [`Quantity`] is a number with a unit as written in a file (`"0.65 eV"`), kept with its
//!   span, converted to internal units by [`Source::quantity`] only when the dimension is
//!   known, so that a bad unit is reported at its line and key.
//! - [`Source::parse`] deserialises with serde and converts `toml` errors into
//!   [`Error::Input`] with location, key and, for a misspelt key, a suggestion
//!   (``did you mean `temperature`?``).

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Location, Result};
use crate::units::{Dimension, parse_quantity};

/// A value as written in a file, with the byte range it came from.
pub type Spanned<T> = toml::Spanned<T>;

/// A quantity as written: a string with a unit, or a bare number (dimensionless only).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum QuantityText {
    /// A bare number.
    Number(f64),
    /// A string such as `"0.65 eV"`.
    Text(String),
}

/// A quantity with its location in the file.
pub type Quantity = Spanned<QuantityText>;

/// An input file: path and text.
#[derive(Debug, Clone)]
pub struct Source {
    path: PathBuf,
    text: String,
}

impl Source {
    /// Reads a file.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::io(path, source))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            // name the line and column of the first byte that is not UTF-8, counted in
            // characters of the valid text before it.
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let valid = std::str::from_utf8(valid).unwrap_or_default();
            let line = valid.matches('\n').count() + 1;
            let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let byte = e.as_bytes()[valid.len()];
            Error::Input {
                location: crate::error::Location {
                    path: path.to_path_buf(),
                    line,
                    column,
                },
                key: "(file)".into(),
                message: format!(
                    "the file is not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8"
                ),
            }
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            text,
        })
    }

    /// A source from text, named `path` in messages.
    #[must_use]
    pub fn from_text(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
        }
    }

    /// The path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The text.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The 1-based line and column of a byte offset.
    #[must_use]
    pub fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Location {
            path: self.path.clone(),
            line,
            column,
        }
    }

    /// An input error at `span` for `key`.
    #[must_use]
    pub fn error(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Error {
        Error::Input {
            location: self.location(span.start),
            key: key.into(),
            message: message.into(),
        }
    }

    /// An input error with no precise span (whole file).
    #[must_use]
    pub fn file_error(&self, key: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Input {
            location: Location {
                path: self.path.clone(),
                line: 0,
                column: 0,
            },
            key: key.into(),
            message: message.into(),
        }
    }

    /// Deserialises the whole file.
    ///
    /// # Errors
    /// [`Error::Input`] with the location, the key (when `toml` names it) and a suggestion
    /// for misspelt keys.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        toml::from_str(&self.text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let message = e.message().trim().to_string();
            let key = key_at(&self.text, offset);
            let message = match suggestion(&message) {
                Some(s) => format!("{message}; did you mean `{s}`?"),
                None => message,
            };
            Error::Input {
                location: self.location(offset),
                key,
                message,
            }
        })
    }

    /// Converts a quantity to internal units of `dimension`.
    ///
    /// # Errors
    /// [`Error::Input`] at the quantity's location, naming `key`.
    pub fn quantity(&self, q: &Quantity, dimension: Dimension, key: &str) -> Result<f64> {
        let result = match q.get_ref() {
            QuantityText::Text(t) => parse_quantity(t, dimension),
            QuantityText::Number(v) => {
                if dimension == Dimension::Dimensionless {
                    if v.is_finite() {
                        Ok(*v)
                    } else {
                        Err(Error::Units {
                            text: v.to_string(),
                            message: "not a finite number".into(),
                        })
                    }
                } else {
                    Err(Error::Units {
                        text: v.to_string(),
                        message: format!(
                            "a unit is required: expected {} written as a string",
                            dimension.expectation()
                        ),
                    })
                }
            }
        };
        result.map_err(|e| match e {
            Error::Units { text, message } => self.error(
                q.span(),
                key,
                format!("invalid quantity `{text}`: {message}"),
            ),
            other => other,
        })
    }
}

/// The dotted key at `offset`: the table path of the last header before it (with the
/// index of an array-of-tables entry, e.g. `events[2]`) and the `name =` on that line.
fn key_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[line_start..line_end];
    let column = offset - line_start;
    let is_key_char = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let clean = |k: &str| -> Option<String> {
        let k = k.trim().trim_start_matches('{').trim();
        let k = k.rsplit(['{', ',']).next().unwrap_or(k).trim();
        (!k.is_empty() && !k.starts_with('[') && !k.starts_with('#')).then(|| k.to_string())
    };
    // the key the error points at: the key written at the offset (unknown keys), else the
    // last `key =` before the offset on the line (a bad value, also inside an inline
    // table), else the line's first key.
    let at_offset = {
        // the start of the word the offset falls in.
        let mut start = column.min(line.len());
        while let Some(c) = line[..start]
            .chars()
            .next_back()
            .filter(|&c| is_key_char(c))
        {
            start -= c.len_utf8();
        }
        let rest = &line[start..];
        let word: String = rest.chars().take_while(|&c| is_key_char(c)).collect();
        let after = rest[word.len()..].trim_start();
        (!word.is_empty() && after.starts_with('=')).then_some(word)
    };
    let before_offset = line[..column.min(line.len())]
        .rfind('=')
        .and_then(|eq| clean(&line[..eq]));
    let key = at_offset
        .or(before_offset)
        .or_else(|| line.find('=').and_then(|eq| clean(&line[..eq])));
    let header_of = |l: &str| -> Option<String> {
        let l = l.split('#').next().unwrap_or("").trim();
        l.starts_with('[').then(|| l.to_string())
    };
    let before: Vec<&str> = text[..line_start].lines().collect();
    let current = line.split('#').next().unwrap_or("").trim();
    let header = if current.starts_with('[') {
        Some((current.to_string(), before.len()))
    } else {
        before
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, l)| header_of(l).map(|h| (h, i)))
    };
    let path = header.map(|(h, at)| {
        if let Some(name) = h.strip_prefix("[[").and_then(|r| r.strip_suffix("]]")) {
            let index = before[..at.min(before.len())]
                .iter()
                .filter(|l| header_of(l).as_deref() == Some(h.as_str()))
                .count();
            format!("{}[{index}]", name.trim())
        } else {
            h.trim_matches(|c| c == '[' || c == ']').trim().to_string()
        }
    });
    match (path, key) {
        (Some(p), Some(k)) => format!("{p}.{k}"),
        (Some(p), None) => p,
        (None, Some(k)) => k,
        (None, None) => String::from("(top level)"),
    }
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (or "unknown variant"),
/// the closest expected name, if it is close enough to be a likely misspelling.
#[must_use]
pub fn suggestion(message: &str) -> Option<String> {
    let unknown = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let end = unknown.find('`')?;
    let word = &unknown[..end];
    let rest = &unknown[end..];
    let expected: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
    closest(word, &expected)
}

/// The candidate closest to `word` by edit distance, if within a third of its length
/// (at least 1, at most 3).
#[must_use]
pub fn closest(word: &str, candidates: &[&str]) -> Option<String> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

/// Levenshtein distance between two strings (by characters).
#[must_use]
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_location_counts_lines_and_columns() {
        let s = Source::from_text("x.toml", "a = 1\nbb = 2\n");
        assert_eq!(key_at("[[e]]\nx = 1\n[[e]]\ny = 2\n", 20), "e[1].y");
        assert_eq!(key_at("[m]\nname = 3\n", 6), "m.name");
        // inside an inline table: the key whose value (or name) is at the offset.
        let inline = "[p]\ns = { name = \"a\", rotation = 5 }\n";
        assert_eq!(key_at(inline, inline.find('5').unwrap()), "p.rotation");
        assert_eq!(
            key_at(inline, inline.find("rotation").unwrap()),
            "p.rotation"
        );
        assert_eq!(key_at(inline, inline.find("\"a\"").unwrap()), "p.name");
        let l = s.location(8);
        assert_eq!((l.line, l.column), (2, 3));
    }

    #[test]
    fn input_suggestion_finds_misspelt_key() {
        let m = "unknown field `tempreature`, expected one of `temperature`, `time`";
        assert_eq!(suggestion(m).as_deref(), Some("temperature"));
        assert_eq!(suggestion("unknown field `zzzz`, expected `a`"), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn input_quantity_without_unit_is_rejected_with_location() {
        #[derive(Deserialize)]
        struct T {
            #[allow(dead_code)]
            e: Quantity,
        }
        let s = Source::from_text("p.toml", "\ne = 0.65\n");
        let t: T = s.parse().unwrap();
        let err = s.quantity(&t.e, Dimension::Energy, "e").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("p.toml:2:5: key `e`"), "{text}");
        assert!(text.contains("unit is required"), "{text}");
    }
}
