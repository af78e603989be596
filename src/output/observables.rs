//! Reading a trajectory frame by frame for `nanokmc analyze` (and for re-measuring the
//! written frames when a run resumes), and appending computed observables to a finished
//! trajectory (`analyze --into-h5md`).
//!
//! [`FrameReader`] keeps the file open and reads one frame's species at a time (1 byte per
//! site), so that a trajectory of any length is read in the memory of one frame.
//! [`append_observables`] writes whole time series at once, after every check has passed,
//! as H5MD time-dependent elements whose `step` and `time` are hard links to the master
//! datasets, like the observables the run wrote.

use std::path::{Path, PathBuf};

use hdf5::File;
use hdf5::types::VarLenUnicode;

use super::h5md::{
    BUILTIN_OBSERVABLES, STEP, TIME, create_element, output_error, to_usize, write_array_attr,
    write_str_attr,
};
use super::reader::{self, OpenedFile, input_error, particle_path};
use super::{RunStatus, info};
use crate::error::Result;

/// A trajectory opened for reading frames.
#[derive(Debug)]
pub struct FrameReader {
    path: PathBuf,
    file: File,
    frames: u64,
    steps: Vec<i64>,
    times: Vec<f64>,
    temperatures: Vec<f64>,
}

/// What a trajectory says about the run that wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// Scenario path as given to the run.
    pub scenario_path: String,
    /// Full scenario text.
    pub scenario_text: String,
    /// Potential path.
    pub potential_path: String,
    /// Full potential text.
    pub potential_text: String,
    /// Seed.
    pub seed: u64,
    /// Replica index.
    pub replica: u32,
    /// Replicas of the run.
    pub replicas: u32,
    /// `/parameters@sites_hash`: the identity of the sites.
    pub sites_hash: u64,
    /// Names of the observables stored under `/observables`.
    pub observables: Vec<String>,
    /// Status of the run.
    pub status: Option<RunStatus>,
}

impl FrameReader {
    /// Opens `path` (closed cleanly, being written, or left by a killed writer) and reads
    /// the step, time and temperature of every complete frame.
    ///
    /// # Errors
    /// [`crate::Error::Io`] if the file is missing, [`crate::Error::Input`] if it is not a
    /// nanokmc trajectory, [`crate::Error::Output`] if HDF5 fails.
    pub fn open(path: &Path) -> Result<Self> {
        let OpenedFile { file, .. } = reader::open(path, false)?;
        let frames = reader::frame_count(path, &file)?;
        let err = |e: hdf5::Error| output_error(path, "reading frames", e);
        let n = to_usize(frames);
        let steps: Vec<i64> = file
            .dataset(STEP)
            .and_then(|d| d.read_slice_1d::<i64, _>(0..n))
            .map_err(err)?
            .to_vec();
        let times: Vec<f64> = file
            .dataset(TIME)
            .and_then(|d| d.read_slice_1d::<f64, _>(0..n))
            .map_err(err)?
            .to_vec();
        let temperatures: Vec<f64> = file
            .dataset("observables/temperature/value")
            .and_then(|d| d.read_slice_1d::<f64, _>(0..n))
            .map_err(err)?
            .to_vec();
        Ok(Self {
            path: path.to_path_buf(),
            file,
            frames,
            steps,
            times,
            temperatures,
        })
    }

    /// Number of complete frames.
    #[must_use]
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Events executed before frame `f`.
    #[must_use]
    pub fn step(&self, f: u64) -> i64 {
        self.steps[to_usize(f)]
    }

    /// Time of frame `f` [s].
    #[must_use]
    pub fn time(&self, f: u64) -> f64 {
        self.times[to_usize(f)]
    }

    /// Temperature of frame `f` [K].
    #[must_use]
    pub fn temperature(&self, f: u64) -> f64 {
        self.temperatures[to_usize(f)]
    }

    /// Reads the species per site of frame `f` into `out`.
    ///
    /// # Errors
    /// [`crate::Error::Output`] if HDF5 fails.
    pub fn read_species(&self, f: u64, out: &mut Vec<u8>) -> Result<()> {
        let ds = self
            .file
            .dataset(&particle_path("species/value"))
            .map_err(|e| output_error(&self.path, "reading species", e))?;
        let row = ds
            .read_slice_1d::<u8, _>(ndarray::s![to_usize(f), ..])
            .map_err(|e| output_error(&self.path, "reading species", e))?;
        out.clear();
        out.extend(row.iter().copied());
        Ok(())
    }

    /// The record of the run: texts, seed, replica, sites hash, observables, status.
    ///
    /// # Errors
    /// [`crate::Error::Input`] if the header is unreadable.
    pub fn record(&self) -> Result<RunRecord> {
        let bad = |e: hdf5::Error| {
            input_error(&self.path, "parameters", format!("unreadable header: {e}"))
        };
        let summary = info(&self.path)?;
        let parameters = self.file.group("parameters").map_err(bad)?;
        let text = |name: &str| -> hdf5::Result<String> {
            Ok(parameters
                .dataset(name)?
                .read_scalar::<VarLenUnicode>()?
                .as_str()
                .to_string())
        };
        let sites_hash: u64 = parameters
            .attr("sites_hash")
            .and_then(|a| a.read_scalar())
            .map_err(bad)?;
        let observables = self
            .file
            .group("observables")
            .and_then(|g| g.member_names())
            .map_err(bad)?;
        Ok(RunRecord {
            scenario_path: summary.scenario_path,
            scenario_text: text("scenario").map_err(bad)?,
            potential_path: summary.potential_path,
            potential_text: text("potential").map_err(bad)?,
            seed: summary.seed,
            replica: summary.replica,
            replicas: summary.replicas,
            sites_hash,
            observables,
            status: summary.status,
        })
    }
}

/// One time series to append: a value per frame, or a row of bins per frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Dataset name under `/observables`.
    pub name: String,
    /// Unit of the values.
    pub unit: String,
    /// Bin edges and their unit, for a distribution (`None`: a scalar per frame).
    pub bins: Option<(Vec<f64>, String)>,
    /// Values, frame after frame (`frames × bins` for a distribution).
    pub values: Vec<f64>,
}

/// Appends `series` to the finished trajectory `path` as `/observables/<name>`; refuses
/// names that exist (built-in ones always, others unless `overwrite`) before writing
/// anything.
///
/// # Errors
/// [`crate::Error::Input`] if the run is not complete (a running or resumable run would
/// append frames the series lack), if a name exists, or if a series has the wrong length;
/// [`crate::Error::Output`] if HDF5 fails.
pub fn append_observables(path: &Path, series: &[Series], overwrite: bool) -> Result<()> {
    let summary = info(path)?;
    if summary.status != Some(RunStatus::Complete) || summary.left_open {
        return Err(input_error(
            path,
            "--into-h5md",
            "the run that wrote this trajectory has not completed (resume it first, or use --out X.csv)",
        ));
    }
    let frames = to_usize(summary.frames);
    let OpenedFile { file, .. } = reader::open(path, true)?;
    let err = |e: hdf5::Error| output_error(path, "writing observables", e);
    let group = file.group("observables").map_err(err)?;
    for s in series {
        let bins = s
            .bins
            .as_ref()
            .map_or(1, |(e, _)| e.len().saturating_sub(1));
        if s.values.len() != frames * bins {
            return Err(output_error(
                path,
                "writing observables",
                format!(
                    "`{}` has {} values for {frames} frames",
                    s.name,
                    s.values.len()
                ),
            ));
        }
        if group.link_exists(&s.name) {
            let reason = if BUILTIN_OBSERVABLES.contains(&s.name.as_str()) {
                Some("it is a built-in observable")
            } else if !overwrite {
                Some("it exists (use --overwrite to replace it)")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(input_error(
                    path,
                    "--into-h5md",
                    format!("cannot write /observables/{}: {reason}", s.name),
                ));
            }
        }
    }
    for s in series {
        if group.link_exists(&s.name) {
            group.unlink(&s.name).map_err(err)?;
        }
        let inner: Vec<usize> = s
            .bins
            .as_ref()
            .map_or_else(Vec::new, |(e, _)| vec![e.len() - 1]);
        let value = create_element::<f64>(
            &group,
            &s.name,
            &inner,
            &inner.iter().map(|&b| b.max(1)).collect::<Vec<_>>(),
            frames.clamp(1, 256),
            false,
            Some(&s.unit),
        )
        .map_err(err)?;
        let mut shape = vec![frames];
        shape.extend(&inner);
        value.resize(shape.clone()).map_err(err)?;
        let array = ndarray::ArrayViewD::from_shape(ndarray::IxDyn(&shape), &s.values)
            .map_err(|e| output_error(path, "writing observables", e))?;
        value.write(array).map_err(err)?;
        write_str_attr(&value, "analysis", "nanokmc analyze").map_err(err)?;
        if let Some((edges, unit)) = &s.bins {
            write_array_attr(&value, "bin_edges", edges).map_err(err)?;
            write_str_attr(&value, "bin_edges_unit", unit).map_err(err)?;
        }
    }
    file.flush().map_err(err)?;
    Ok(())
}
