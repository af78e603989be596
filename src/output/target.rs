//! Checks on an output path before anything is computed or written: its directory exists,
//! it is not a directory, and an existing file is replaced only when asked and only when it
//! is the kind of file the command writes (a run never replaces a scenario file given as
//! `--out` by mistake; an export never replaces its own input).
//!
//! Every failure is an input error (exit code 2) that names the path.

use std::path::Path;

use crate::error::{Error, Result};

/// The first bytes of every HDF5 file (the superblock signature at offset 0).
const HDF5_SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// What a command is about to write, for the check of an existing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// An HDF5 file (trajectory): an existing file is replaced only if it is HDF5 too.
    Hdf5,
    /// A text file (export, CSV, report): an existing file is replaced only if it is not
    /// HDF5 (which would be a trajectory, i.e. data).
    Text,
}

/// Checks that `path` can be written: its parent directory exists, it is not a directory,
/// and if it exists, `overwrite` is set and the file is of the kind `kind` (see
/// [`TargetKind`]). `inputs` are files the command reads; none of them may be the target.
///
/// # Errors
/// [`Error::Build`] (input error, exit code 2) naming the path and what is wrong.
pub fn check_target(
    path: &Path,
    kind: TargetKind,
    overwrite: bool,
    inputs: &[&Path],
) -> Result<()> {
    let refuse = |message: String| Err(Error::build(format!("output {}", path.display()), message));
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return refuse(format!(
            "the directory {} does not exist (create it first)",
            parent.display()
        ));
    }
    if path.is_dir() {
        return refuse("is a directory; give a file name".into());
    }
    if !path.exists() {
        return Ok(());
    }
    for input in inputs {
        if same_file(path, input) {
            return refuse(format!(
                "is the input file {}; choose another output",
                input.display()
            ));
        }
    }
    if !overwrite {
        return refuse("file exists (use --overwrite to replace it)".into());
    }
    let is_hdf5 = starts_with_hdf5_signature(path);
    match kind {
        TargetKind::Hdf5 if !is_hdf5 => refuse(
            "exists and is not an HDF5 file; --overwrite replaces only earlier trajectories \
             (is it the scenario or another file?)"
                .into(),
        ),
        TargetKind::Text if is_hdf5 => refuse(
            "exists and is an HDF5 file (a trajectory?); --overwrite does not replace data with \
             text"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// True when `path` begins with the HDF5 signature (false when unreadable).
#[must_use]
pub fn starts_with_hdf5_signature(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == HDF5_SIGNATURE)
}

/// True when both paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_target_refuses_missing_directory_and_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope/x.h5md");
        assert!(check_target(&missing, TargetKind::Hdf5, true, &[]).is_err());
        assert!(check_target(dir.path(), TargetKind::Hdf5, true, &[]).is_err());
        let fresh = dir.path().join("x.h5md");
        assert!(check_target(&fresh, TargetKind::Hdf5, false, &[]).is_ok());

        let scenario = dir.path().join("s.toml");
        std::fs::write(&scenario, "[scenario]\n").unwrap();
        let e = check_target(&scenario, TargetKind::Hdf5, true, &[]).unwrap_err();
        assert!(e.is_input_error());
        assert!(e.to_string().contains("not an HDF5 file"), "{e}");
        assert!(check_target(&scenario, TargetKind::Text, false, &[]).is_err());
        assert!(check_target(&scenario, TargetKind::Text, true, &[]).is_ok());
        assert!(check_target(&scenario, TargetKind::Text, true, &[&scenario]).is_err());

        let h5 = dir.path().join("t.h5md");
        let mut bytes = HDF5_SIGNATURE.to_vec();
        bytes.extend_from_slice(&[0; 32]);
        std::fs::write(&h5, bytes).unwrap();
        assert!(check_target(&h5, TargetKind::Hdf5, true, &[]).is_ok());
        assert!(check_target(&h5, TargetKind::Hdf5, false, &[]).is_err());
        assert!(check_target(&h5, TargetKind::Text, true, &[]).is_err());
    }
}
