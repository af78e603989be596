//! Good/bad input corpora (lumol-input style): the `#^` header of a corpus file and the
//! check that an error names the file, line, key and message it announces. Used by
//! `tests/potential_files.rs` and `tests/scenario_files.rs`.
//!
//! ```text
//! #^ <substring of the expected message>
//! #^key <the key the message names, as in "key `…`">
//! #^line <N>                        (optional: the line the message points at)
//! #^build                           (scenarios: the error comes from building, not reading)
//! #^known-gap <what the library does instead>   (optional)
//! ```

use std::path::{Path, PathBuf};

/// The `.toml` files of `dir`, sorted.
pub fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// What a corpus file announces in its `#^` header.
#[derive(Debug, Default)]
pub struct Expectation {
    pub message: Option<String>,
    pub key: Option<String>,
    pub line: Option<usize>,
    pub build: bool,
    pub known_gap: Option<String>,
}

/// Reads the `#^` header of `path`.
pub fn expectation(path: &Path) -> Expectation {
    // lossy: a corpus file may hold bytes that are not UTF-8 after its header on purpose.
    let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
    let mut e = Expectation::default();
    for l in text.lines().take_while(|l| l.starts_with("#^")) {
        if let Some(k) = l.strip_prefix("#^key ") {
            e.key = Some(k.trim().to_string());
        } else if let Some(n) = l.strip_prefix("#^line ") {
            e.line = Some(n.trim().parse().expect("#^line <N>"));
        } else if l.trim() == "#^build" {
            e.build = true;
        } else if let Some(g) = l.strip_prefix("#^known-gap ") {
            e.known_gap = Some(g.trim().to_string());
        } else if let Some(m) = l.strip_prefix("#^ ") {
            e.message = Some(m.trim().to_string());
        } else {
            panic!("{}: unknown header line `{l}`", path.display());
        }
    }
    e
}

/// A panic payload as text.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_default()
}

/// Checks that `error` (from reading `path`) is an input error that starts with the path
/// and names the line, key and message of `expected`; `Err` describes every mismatch.
pub fn check_error(
    path: &Path,
    expected: &Expectation,
    error: &nanokmc::Error,
) -> Result<(), String> {
    let name = path.display();
    let message = expected
        .message
        .as_deref()
        .ok_or_else(|| format!("{name}: no `#^ message` line"))?;
    let key = expected
        .key
        .as_deref()
        .ok_or_else(|| format!("{name}: no `#^key` line"))?;
    let text = error.to_string();
    let mut problems = Vec::new();
    if !matches!(error, nanokmc::Error::Input { .. }) {
        problems.push("not an `Error::Input`".to_string());
    }
    if !text.starts_with(&name.to_string()) {
        problems.push("does not start with the file path".to_string());
    }
    if let Some(line) = expected.line
        && !text.contains(&format!(":{line}:"))
    {
        problems.push(format!("does not name line {line} (`:{line}:`)"));
    }
    if !text.contains(&format!("key `{key}`")) {
        problems.push(format!("does not name key `{key}`"));
    }
    if !text.contains(message) {
        problems.push(format!("does not contain `{message}`"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{name}: {}\n    got: {text}", problems.join("; ")))
    }
}
