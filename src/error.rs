//! Error type of the library.
//!
//! Every fallible function of the library returns [`Result`]. Variants carry the context a
//! user needs to fix the input: the file, the line and column, and the key. Messages are
//! lowercase and say what was expected. The binary maps [`Error::is_input_error`] to exit
//! code 2 and everything else to exit code 1.

use std::path::PathBuf;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A location in an input file (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file the input came from (or a placeholder such as `<string>`).
    pub path: PathBuf,
    /// 1-based line number, 0 when unknown.
    pub line: usize,
    /// 1-based column number, 0 when unknown.
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.path.display())
        } else {
            write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
        }
    }
}

/// All errors of the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An input file (potential, scenario, checkpoint) is malformed or inconsistent.
    #[error("{location}: key `{key}`: {message}")]
    Input {
        /// Where in the file.
        location: Location,
        /// The dotted key path, e.g. `events[2].barrier`.
        key: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A quantity string such as `"0.65 eV"` could not be parsed.
    #[error("invalid quantity `{text}`: {message}")]
    Units {
        /// The text that was given.
        text: String,
        /// What is wrong.
        message: String,
    },
    /// A geometry or model could not be built from otherwise valid parameters.
    #[error("{context}: {message}")]
    Build {
        /// What was being built.
        context: String,
        /// What is wrong.
        message: String,
    },
    /// A model produced an invalid rate or energy at run time.
    #[error("model error in event `{event}` at site {site}: {message}")]
    Model {
        /// The event rule name.
        event: String,
        /// The site index.
        site: u32,
        /// What is wrong.
        message: String,
    },
    /// Writing output failed.
    #[error("output {path}: {message}")]
    Output {
        /// The output file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// True when the error is caused by user input (exit code 2), false for run-time
    /// failures (exit code 1).
    #[must_use]
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Input { .. } | Error::Units { .. } | Error::Build { .. } => true,
            // a path the user gave that does not lead to a readable file (or to a writable
            // place): bad input. A device or disk failure is not.
            Error::Io { source, .. } => is_bad_path(source.kind()),
            Error::Model { .. } | Error::Output { .. } => false,
        }
    }

    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Convenience constructor for a build error.
    pub fn build(context: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Build {
            context: context.into(),
            message: message.into(),
        }
    }
}

/// True for I/O failures caused by the path itself (missing, a directory, not permitted,
/// not text), which the user fixes by giving another path: exit code 2.
fn is_bad_path(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        kind,
        K::NotFound
            | K::PermissionDenied
            | K::IsADirectory
            | K::NotADirectory
            | K::InvalidData
            | K::InvalidInput
            | K::InvalidFilename
            | K::AlreadyExists
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_error_missing_file_is_input_error() {
        let e = Error::io("x", std::io::Error::from(std::io::ErrorKind::NotFound));
        assert!(e.is_input_error());
        let e = Error::io("x", std::io::Error::from(std::io::ErrorKind::IsADirectory));
        assert!(e.is_input_error());
        let e = Error::io("x", std::io::Error::from(std::io::ErrorKind::StorageFull));
        assert!(!e.is_input_error());
    }
}
