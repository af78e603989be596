//! Overrides of scenario values by a claim: dotted key paths into the scenario's TOML,
//! applied to the text before it is compiled.
//!
//! A path is a sequence of table keys separated by dots, each optionally followed by array
//! indices: `stop.time`, `geometry.block.cells`, `program.steps[1].duration`,
//! `geometry.particles[0].cross_section.radius`. An index that is not a number selects the
//! entry of an array of tables by its `name` key: `events[hop_B].migration_energy` in a
//! potential file. Every table and array on the way must
//! exist in the scenario; the last key may be new (it is added to its table), so a claim
//! can set `stop.time` in a scenario that stops on a condition only. The value replaces
//! whatever was there, with the type the claim wrote.
//!
//! The scenario is re-serialised after the overrides (comments are lost; the compiled
//! scenario and the trajectory header keep the overridden text, so a trajectory says what
//! actually ran). A path that does not fit the scenario is an error at the claim's line.
//!
//! The same machinery serves `nanokmc sweep` ([`crate::sweep`]), which sets scenario values
//! and potential parameters per sweep point: [`apply`] to any TOML source (scenario or
//! potential) with errors at the line of the file that wrote the override, [`set_value`]
//! for callers that report errors themselves.

use std::ops::Range;

use crate::error::Result;
use crate::input::Source;

/// One override: a dotted path and the value it sets, with where the claim wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The path as written, e.g. `program.steps[1].duration`.
    pub path: String,
    /// The value to set.
    pub value: toml::Value,
    /// The claim file's bytes of the key (for errors).
    pub span: Range<usize>,
    /// The claim key under which it was written, e.g. `quick.overrides`.
    pub table: String,
}

/// A step of a path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
    /// The entry of an array of tables whose `name` is this.
    Named(String),
}

/// Splits `a.b[2].c` into segments; `Err` says what is malformed.
fn segments(path: &str) -> std::result::Result<Vec<Segment>, String> {
    let mut out = Vec::new();
    if path.trim().is_empty() {
        return Err("empty path".into());
    }
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        let valid = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
        if key.is_empty() || !key.chars().all(valid) {
            return Err(format!(
                "`{part}` is not a key (letters, digits, `_`, `-`, then optional `[index]`)"
            ));
        }
        out.push(Segment::Key(key.to_string()));
        while !rest.is_empty() {
            let close = rest
                .find(']')
                .ok_or_else(|| format!("`{part}`: `[` without `]`"))?;
            let inside = rest[1..close].trim();
            if inside.is_empty() || inside.starts_with('-') || inside.starts_with('+') {
                return Err(format!(
                    "`{part}`: the index must be an integer ≥ 0 or the `name` of an entry"
                ));
            }
            out.push(match inside.parse::<usize>() {
                Ok(index) => Segment::Index(index),
                Err(_) => Segment::Named(inside.trim_matches('"').to_string()),
            });
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("`{part}`: unexpected `{rest}` after `]`"));
            }
        }
    }
    Ok(out)
}

/// Checks the syntax of a path (used when the claim is read).
///
/// # Errors
/// A message saying what is malformed.
pub fn check_path(path: &str) -> std::result::Result<(), String> {
    segments(path).map(|_| ())
}

/// One step down from `value` along `seg`, extending `walked` (the path so far).
fn step<'a>(
    value: &'a mut toml::Value,
    seg: &Segment,
    walked: &mut String,
) -> std::result::Result<&'a mut toml::Value, String> {
    let here = if walked.is_empty() {
        "the scenario".to_string()
    } else {
        format!("`{walked}`")
    };
    match seg {
        Segment::Key(k) => {
            let toml::Value::Table(t) = value else {
                return Err(format!("{here} is not a table, it has no key `{k}`"));
            };
            let known: Vec<String> = t.keys().cloned().collect();
            if !walked.is_empty() {
                walked.push('.');
            }
            walked.push_str(k);
            t.get_mut(k).ok_or_else(|| {
                format!(
                    "{here} has no key `{k}` (it has: {})",
                    if known.is_empty() {
                        "nothing".into()
                    } else {
                        known.join(", ")
                    }
                )
            })
        }
        Segment::Index(i) => {
            let toml::Value::Array(a) = value else {
                return Err(format!("{here} is not an array, it has no index [{i}]"));
            };
            let len = a.len();
            walked.push('[');
            walked.push_str(&i.to_string());
            walked.push(']');
            a.get_mut(*i).ok_or_else(|| {
                format!("{here} has {len} entries, no index [{i}] (indices start at 0)")
            })
        }
        Segment::Named(n) => {
            let toml::Value::Array(a) = value else {
                return Err(format!("{here} is not an array, it has no entry [{n}]"));
            };
            walked.push('[');
            walked.push_str(n);
            walked.push(']');
            named_entry(a, n).map_err(|m| format!("{here} {m}"))
        }
    }
}

/// The entry of `array` (of tables) whose `name` key is `name`; `Err` lists the names.
fn named_entry<'a>(
    array: &'a mut [toml::Value],
    name: &str,
) -> std::result::Result<&'a mut toml::Value, String> {
    let names: Vec<String> = array
        .iter()
        .filter_map(|v| v.get("name").and_then(toml::Value::as_str))
        .map(str::to_string)
        .collect();
    let position = array
        .iter()
        .position(|v| v.get("name").and_then(toml::Value::as_str) == Some(name));
    if let Some(i) = position {
        return Ok(&mut array[i]);
    }
    let hint = crate::input::closest(name, &names.iter().map(String::as_str).collect::<Vec<_>>())
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default();
    Err(format!(
        "has no entry named `{name}` (names: {}){hint}",
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    ))
}

/// Applies `overrides` in order to the scenario `scenario` (or any TOML source, such as a
/// potential file), giving a new source with the same path (so that the potential is found
/// relative to the same folder). `claim` is the file that wrote the overrides (a claim or a
/// sweep file), where errors point.
///
/// # Errors
/// [`crate::Error::Input`] at the override's line in `claim` when a path does not exist in
/// the scenario, or when the scenario is not valid TOML.
pub fn apply(scenario: &Source, overrides: &[Override], claim: &Source) -> Result<Source> {
    if overrides.is_empty() {
        return Ok(scenario.clone());
    }
    let mut table: toml::Table = scenario.parse()?;
    for o in overrides {
        set_value(&mut table, &o.path, o.value.clone()).map_err(|m| {
            claim.error(
                o.span.clone(),
                format!("{}.\"{}\"", o.table, o.path),
                format!(
                    "cannot apply the override to {}: {m}",
                    scenario.path().display()
                ),
            )
        })?;
    }
    let text = toml::to_string(&table).map_err(|e| {
        claim.file_error(
            "overrides",
            format!("cannot write the overridden scenario: {e}"),
        )
    })?;
    Ok(Source::from_text(scenario.path(), text))
}

/// Sets `value` at `path` in the parsed TOML file `root` (a scenario or a potential);
/// `Err` says which part of the path does not exist or is malformed.
///
/// # Errors
/// A message naming the first part of the path that the table does not have.
pub fn set_value(
    root: &mut toml::Table,
    path: &str,
    value: toml::Value,
) -> std::result::Result<(), String> {
    let segs = segments(path)?;
    let (last, init) = segs.split_last().ok_or_else(|| "empty path".to_string())?;
    let mut walked = String::new();
    let Some((first, rest)) = init.split_first() else {
        // a top-level key.
        return match last {
            Segment::Key(k) => {
                root.insert(k.clone(), value);
                Ok(())
            }
            Segment::Index(_) | Segment::Named(_) => Err("a path starts with a key".into()),
        };
    };
    let Segment::Key(k0) = first else {
        return Err("a path starts with a key".into());
    };
    let known: Vec<String> = root.keys().cloned().collect();
    let mut current = root.get_mut(k0).ok_or_else(|| {
        format!(
            "the scenario has no table `{k0}` (it has: {})",
            known.join(", ")
        )
    })?;
    walked.push_str(k0);
    for seg in rest {
        current = step(current, seg, &mut walked)?;
    }
    match (last, current) {
        (Segment::Key(k), toml::Value::Table(t)) => {
            t.insert(k.clone(), value);
            Ok(())
        }
        (Segment::Index(i), toml::Value::Array(a)) => {
            let len = a.len();
            let slot = a.get_mut(*i).ok_or_else(|| {
                format!("`{walked}` has {len} entries, no index [{i}] (indices start at 0)")
            })?;
            *slot = value;
            Ok(())
        }
        (Segment::Named(n), toml::Value::Array(a)) => {
            *named_entry(a, n).map_err(|m| format!("`{walked}` {m}"))? = value;
            Ok(())
        }
        (Segment::Key(k), _) => Err(format!("`{walked}` is not a table, cannot set `{k}`")),
        (Segment::Index(i), _) => Err(format!("`{walked}` is not an array, cannot set [{i}]")),
        (Segment::Named(n), _) => Err(format!("`{walked}` is not an array, cannot set [{n}]")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply_one(
        text: &str,
        path: &str,
        value: toml::Value,
    ) -> std::result::Result<String, String> {
        let mut t: toml::Table = toml::from_str(text).unwrap();
        set_value(&mut t, path, value)?;
        Ok(toml::to_string(&t).unwrap())
    }

    #[test]
    fn overrides_set_nested_keys_and_array_entries() {
        let text = "[stop]\ntime = \"1 s\"\n[program]\nsteps = [{ hold = \"300 K\", duration = \"1 s\" }, { hold = \"400 K\", duration = \"2 s\" }]\n";
        let out = apply_one(text, "program.steps[1].duration", "5 s".into()).unwrap();
        let t: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(t["program"]["steps"][1]["duration"].as_str(), Some("5 s"));
        assert_eq!(t["program"]["steps"][0]["duration"].as_str(), Some("1 s"));
        // a new key in an existing table is added.
        let out = apply_one(text, "stop.events", 10.into()).unwrap();
        let t: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(t["stop"]["events"].as_integer(), Some(10));
        assert_eq!(t["stop"]["time"].as_str(), Some("1 s"));
    }

    #[test]
    fn overrides_reject_paths_that_do_not_exist() {
        let text = "[stop]\ntime = \"1 s\"\n[program]\nsteps = [{ hold = \"300 K\", duration = \"1 s\" }]\n";
        let e = apply_one(text, "program.steps[3].duration", 1.into()).unwrap_err();
        assert!(e.contains("has 1 entries, no index [3]"), "{e}");
        let e = apply_one(text, "programme.steps", 1.into()).unwrap_err();
        assert!(e.contains("no table `programme`"), "{e}");
        let e = apply_one(text, "stop.time.x", 1.into()).unwrap_err();
        assert!(e.contains("`stop.time` is not a table"), "{e}");
        assert!(check_path("a..b").is_err());
        assert!(check_path("a[]").is_err());
        assert!(check_path("a[-1]").is_err());
        assert!(check_path("a[x]").is_ok());
        assert!(check_path("a[1]b").is_err());
        assert!(check_path("geometry.particles[0].margin").is_ok());
    }

    #[test]
    fn overrides_select_array_entries_by_name() {
        let text = "[[events]]\nname = \"hop_A\"\nbarrier = \"0.6 eV\"\n[[events]]\nname = \"hop_B\"\nbarrier = \"0.6 eV\"\n";
        let out = apply_one(text, "events[hop_B].barrier", "0.7 eV".into()).unwrap();
        let t: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(t["events"][1]["barrier"].as_str(), Some("0.7 eV"));
        assert_eq!(t["events"][0]["barrier"].as_str(), Some("0.6 eV"));
        let e = apply_one(text, "events[hop_C].barrier", 1.into()).unwrap_err();
        assert!(e.contains("no entry named `hop_C`"), "{e}");
        assert!(e.contains("did you mean `hop_A`"), "{e}");
    }

    #[test]
    fn overrides_errors_name_the_claim_line_and_key() {
        let scenario = Source::from_text("s.toml", "[stop]\ntime = \"1 s\"\n");
        let claim = Source::from_text("c.toml", "[overrides]\n\"stop.tiem.x\" = 1\n");
        let o = Override {
            path: "stop.tiem.x".into(),
            value: 1.into(),
            span: 12..25,
            table: "overrides".into(),
        };
        let e = apply(&scenario, &[o], &claim).unwrap_err().to_string();
        assert!(
            e.starts_with("c.toml:2:1: key `overrides.\"stop.tiem.x\"`"),
            "{e}"
        );
        assert!(e.contains("has no key `tiem`"), "{e}");
    }
}
