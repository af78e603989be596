//! Frame-by-frame reading of a trajectory, for `nanokmc render` and `nanokmc plot`.
//!
//! [`TrajectoryReader`] opens a file (closed, being written, or left by a killed writer: see
//! [`reader`](super::reader)), reads the static site positions once, and then one frame of
//! species at a time ([`TrajectoryReader::species`]), so that rendering a long trajectory
//! never holds more than one frame in memory. The per-frame scalars (time, temperature) and
//! the `/observables` series are small ([F] or [F, D, S]) and are read whole.

use std::path::{Path, PathBuf};

use hdf5::File;

use super::h5md::{TIME, output_error, to_usize};
use super::reader::{self, OpenedFile, input_error, particle_path, read_str_list_attr};
use crate::error::Result;

/// An open trajectory, read one frame at a time.
#[derive(Debug)]
pub struct TrajectoryReader {
    path: PathBuf,
    file: File,
    frames: u64,
    species_names: Vec<String>,
    species_elements: Vec<String>,
    domain_names: Vec<String>,
}

/// One observable of the file as columns of numbers over the frames.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservableSeries {
    /// The observable's name (`/observables/<name>`).
    pub name: String,
    /// The `unit` attribute, if the file has one (e.g. `K`); counts have none.
    pub unit: Option<String>,
    /// One column per component, each with one value per frame: a scalar observable has one
    /// column named after it; a per-(domain, species) array has a column `domain/species`
    /// per domain and atomic species (the vacancy, id 0, is left out) and, when there are
    /// several domains, a column `all/species` with the sum over domains; a per-rule array
    /// has a column per rule.
    pub columns: Vec<(String, Vec<f64>)>,
}

/// Columns of a per-(domain, species) array `values` [frames × domains × species]: one per
/// domain and atomic species, then (with several domains) the sums over domains.
fn domain_species_columns(
    values: &[f64],
    frames: usize,
    domains: &[String],
    species: &[String],
    n_domains: usize,
    n_species: usize,
) -> Vec<(String, Vec<f64>)> {
    let inner = n_domains * n_species;
    let value = |f: usize, d: usize, s: usize| {
        values
            .get(f * inner + d * n_species + s)
            .copied()
            .unwrap_or(f64::NAN)
    };
    let name = |list: &[String], i: usize| list.get(i).map_or("?", String::as_str).to_string();
    let mut columns = Vec::new();
    for d in 0..n_domains {
        for s in 1..n_species {
            let label = format!("{}/{}", name(domains, d), name(species, s));
            columns.push((label, (0..frames).map(|f| value(f, d, s)).collect()));
        }
    }
    if n_domains > 1 {
        for s in 1..n_species {
            let total = (0..frames)
                .map(|f| (0..n_domains).map(|d| value(f, d, s)).sum())
                .collect();
            columns.push((format!("all/{}", name(species, s)), total));
        }
    }
    columns
}

/// Columns of a between-domains array `values` [frames × domains × domains × species]
/// (`transfers`): one `from→to/species` per ordered pair of domains and atomic species that
/// is non-zero in some frame (the others would be flat lines at 0).
fn transfer_columns(
    values: &[f64],
    frames: usize,
    domains: &[String],
    species: &[String],
    n_domains: usize,
    n_species: usize,
) -> Vec<(String, Vec<f64>)> {
    let inner = n_domains * n_domains * n_species;
    let name = |list: &[String], i: usize| list.get(i).map_or("?", String::as_str).to_string();
    let mut columns = Vec::new();
    for a in 0..n_domains {
        for b in (0..n_domains).filter(|&b| b != a) {
            for s in 1..n_species {
                let index = (a * n_domains + b) * n_species + s;
                let column: Vec<f64> = (0..frames)
                    .map(|f| values.get(f * inner + index).copied().unwrap_or(f64::NAN))
                    .collect();
                if column.iter().any(|&x| x != 0.0) {
                    let label = format!(
                        "{}→{}/{}",
                        name(domains, a),
                        name(domains, b),
                        name(species, s)
                    );
                    columns.push((label, column));
                }
            }
        }
    }
    columns
}

impl TrajectoryReader {
    /// Opens `path` and reads its header.
    ///
    /// # Errors
    /// [`crate::Error::Io`] if the file is missing, [`crate::Error::Input`] if it is not a
    /// nanokmc trajectory, [`crate::Error::Output`] if its header cannot be read.
    pub fn open(path: &Path) -> Result<Self> {
        let OpenedFile { file, .. } = reader::open(path, false)?;
        let frames = reader::frame_count(path, &file)?;
        let err = |e: hdf5::Error| output_error(path, "reading the header", e);
        let parameters = file.group("parameters").map_err(err)?;
        let species_names = read_str_list_attr(&parameters, "species_names").map_err(err)?;
        let species_elements = read_str_list_attr(&parameters, "species_elements").map_err(err)?;
        let domain_names = read_str_list_attr(&parameters, "domain_names").map_err(err)?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            frames,
            species_names,
            species_elements,
            domain_names,
        })
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of complete frames.
    #[must_use]
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Species names, indexed by species id (0 = vacancy).
    #[must_use]
    pub fn species_names(&self) -> &[String] {
        &self.species_names
    }

    /// Chemical symbol of each species (`X` for the vacancy), indexed by species id.
    #[must_use]
    pub fn species_elements(&self) -> &[String] {
        &self.species_elements
    }

    /// Domain names, indexed by domain id.
    #[must_use]
    pub fn domain_names(&self) -> &[String] {
        &self.domain_names
    }

    /// The cell vectors `a`, `b`, `c` (rows, Å, box frame) of each domain's crystal, from
    /// the `cells` attribute of `/particles/trajectory/domain` (`NaN` rows: no crystal);
    /// `None` for a file written before the attribute existed.
    ///
    /// # Errors
    /// [`crate::Error::Output`] if the attribute exists but cannot be read.
    pub fn domain_cells(&self) -> Result<Option<Vec<[[f64; 3]; 3]>>> {
        let err = |e: hdf5::Error| output_error(&self.path, "reading the domain cells", e);
        let ds = self
            .file
            .dataset("particles/trajectory/domain")
            .map_err(err)?;
        if !ds.attr_names().map_err(err)?.iter().any(|n| n == "cells") {
            return Ok(None);
        }
        let flat: Vec<f64> = ds.attr("cells").and_then(|a| a.read_raw()).map_err(err)?;
        Ok(Some(
            flat.chunks_exact(9)
                .map(|m| [[m[0], m[1], m[2]], [m[3], m[4], m[5]], [m[6], m[7], m[8]]])
                .collect(),
        ))
    }

    /// Site positions [Å] (the same in every frame; read from frame 0).
    ///
    /// # Errors
    /// [`crate::Error::Input`] if the file has no frame, [`crate::Error::Output`] if the
    /// dataset cannot be read.
    pub fn positions(&self) -> Result<Vec<[f64; 3]>> {
        if self.frames == 0 {
            return Err(input_error(
                &self.path,
                "frames",
                "the trajectory holds no frame yet",
            ));
        }
        let raw: Vec<f32> = self
            .file
            .dataset(&particle_path("position/value"))
            .and_then(|d| d.read_slice::<f32, _, ndarray::Ix2>(ndarray::s![0, .., ..]))
            .map_err(|e| output_error(&self.path, "reading positions", e))?
            .iter()
            .copied()
            .collect();
        Ok(raw
            .chunks_exact(3)
            .map(|p| [f64::from(p[0]), f64::from(p[1]), f64::from(p[2])])
            .collect())
    }

    /// Species id per site in `frame`.
    ///
    /// # Errors
    /// [`crate::Error::Input`] if the frame does not exist, [`crate::Error::Output`] if the
    /// dataset cannot be read.
    pub fn species(&self, frame: u64) -> Result<Vec<u8>> {
        self.check_frame(frame)?;
        let f = to_usize(frame);
        Ok(self
            .file
            .dataset(&particle_path("species/value"))
            .and_then(|d| d.read_slice::<u8, _, ndarray::Ix1>(ndarray::s![f, ..]))
            .map_err(|e| output_error(&self.path, "reading species", e))?
            .to_vec())
    }

    /// Time of every frame [s].
    ///
    /// # Errors
    /// [`crate::Error::Output`] if the dataset cannot be read.
    pub fn times(&self) -> Result<Vec<f64>> {
        self.read_1d(TIME)
    }

    /// Temperature of every frame [K].
    ///
    /// # Errors
    /// [`crate::Error::Output`] if the dataset cannot be read.
    pub fn temperatures(&self) -> Result<Vec<f64>> {
        self.read_1d("/observables/temperature/value")
    }

    /// Names of the observables stored under `/observables`, in file order.
    ///
    /// # Errors
    /// [`crate::Error::Output`] if the group cannot be read.
    pub fn observable_names(&self) -> Result<Vec<String>> {
        self.file
            .group("observables")
            .and_then(|g| g.member_names())
            .map_err(|e| output_error(&self.path, "reading /observables", e))
    }

    /// Reads the observable `name` as columns over the frames (see [`ObservableSeries`]).
    ///
    /// # Errors
    /// [`crate::Error::Input`] (key `observable`) if the file has no such observable (the
    /// message lists those it has), [`crate::Error::Output`] if it cannot be read.
    pub fn observable(&self, name: &str) -> Result<ObservableSeries> {
        let names = self.observable_names()?;
        if !names.iter().any(|n| n == name) {
            return Err(input_error(
                &self.path,
                "observable",
                format!(
                    "no observable `{name}` in the trajectory (it has: {})",
                    names.join(", ")
                ),
            ));
        }
        let err = |e: hdf5::Error| output_error(&self.path, &format!("reading {name}"), e);
        let dataset = self
            .file
            .dataset(&format!("/observables/{name}/value"))
            .map_err(err)?;
        let unit = dataset
            .attr("unit")
            .and_then(|a| a.read_scalar::<hdf5::types::VarLenUnicode>())
            .ok()
            .map(|u| u.as_str().to_string());
        let shape = dataset.shape();
        let frames = to_usize(self.frames);
        let values: Vec<f64> = if matches!(
            dataset
                .dtype()
                .and_then(|t| t.to_descriptor())
                .map_err(err)?,
            hdf5::types::TypeDescriptor::Float(_)
        ) {
            dataset.read_raw::<f64>().map_err(err)?
        } else {
            dataset
                .read_raw::<u64>()
                .map_err(err)?
                .into_iter()
                // Counts stay far below 2⁵³, where f64 is exact.
                .map(|v| {
                    #[allow(clippy::cast_precision_loss)]
                    let x = v as f64;
                    x
                })
                .collect()
        };
        let inner: usize = shape.iter().skip(1).product();
        let column = |index: usize| -> Vec<f64> {
            (0..frames)
                .map(|f| values.get(f * inner + index).copied().unwrap_or(f64::NAN))
                .collect()
        };
        let mut columns = Vec::new();
        match shape.len() {
            1 => columns.push((name.to_string(), column(0))),
            2 => {
                let rules = read_str_list_attr(&dataset, "rules").unwrap_or_default();
                for r in 0..shape[1] {
                    let label = rules
                        .get(r)
                        .cloned()
                        .unwrap_or_else(|| format!("{name}[{r}]"));
                    columns.push((label, column(r)));
                }
            }
            3 => {
                let domains = read_str_list_attr(&dataset, "domains").map_err(err)?;
                let species = read_str_list_attr(&dataset, "species").map_err(err)?;
                columns =
                    domain_species_columns(&values, frames, &domains, &species, shape[1], shape[2]);
            }
            4 => {
                let domains = read_str_list_attr(&dataset, "domains").map_err(err)?;
                let species = read_str_list_attr(&dataset, "species").map_err(err)?;
                columns = transfer_columns(&values, frames, &domains, &species, shape[1], shape[3]);
            }
            _ => {
                return Err(input_error(
                    &self.path,
                    "observable",
                    format!("observable `{name}` has an unexpected shape {shape:?}"),
                ));
            }
        }
        Ok(ObservableSeries {
            name: name.to_string(),
            unit,
            columns,
        })
    }

    fn check_frame(&self, frame: u64) -> Result<()> {
        if frame >= self.frames {
            return Err(input_error(
                &self.path,
                "frames",
                format!(
                    "frame {frame} does not exist: the file holds {} frames",
                    self.frames
                ),
            ));
        }
        Ok(())
    }

    fn read_1d(&self, dataset: &str) -> Result<Vec<f64>> {
        let all: Vec<f64> = self
            .file
            .dataset(dataset)
            .and_then(|d| d.read_raw())
            .map_err(|e| output_error(&self.path, &format!("reading {dataset}"), e))?;
        Ok(all.into_iter().take(to_usize(self.frames)).collect())
    }
}
