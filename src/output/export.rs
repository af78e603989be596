//! Export of a trajectory to extended XYZ (OVITO, ASE) or to an XDMF sidecar (`ParaView`).
//!
//! - **Extended XYZ**: one block per selected frame, vacancies omitted; columns
//!   `species:S:1:pos:R:3:domain:I:1:kind:I:1` (chemical symbol, position [Å], domain id,
//!   site kind id); the comment line carries `Lattice`, `Origin`, `pbc`, `Time` [s] and
//!   `Step`.
//! - **XDMF 3**: a small XML file next to the `.h5` that points into it: a temporal
//!   collection of polyvertex grids over all sites, with `species`, `kind` and `domain` as
//!   node attributes (threshold `species ≥ 1` in `ParaView` to hide vacancies). It describes
//!   the frames present at export time; export again after the run has grown.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::h5md::{PARTICLES, STEP, TIME, output_error, to_usize};
use super::reader::{self, OpenedFile, input_error, particle_path, read_str_list_attr};
use crate::error::{Error, Result};

/// Output format of [`export`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Extended XYZ (`.xyz`), readable by OVITO and ASE.
    Xyz,
    /// XDMF 3 sidecar (`.xdmf`) referencing the HDF5 datasets, readable by `ParaView`.
    Xdmf,
}

/// Which frames to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameSelection {
    /// Every frame.
    All,
    /// Frames `start, start + stride, …` below `end` (all remaining frames if `None`).
    Range {
        /// First frame.
        start: u64,
        /// One past the last frame, or `None` for the end of the file.
        end: Option<u64>,
        /// Step between frames (≥ 1).
        stride: u64,
    },
    /// Explicit frame indices, in the order given.
    List(Vec<u64>),
    /// The last frame (`-1` or `last` on the command line).
    Last,
}

impl FrameSelection {
    /// Parses command-line text: `all` (or empty), `5`, `-1` or `last`, `1,4,9`, and Python-like
    /// ranges `start:end`, `start:end:stride`, `:end`, `start:`, `::stride`.
    ///
    /// # Errors
    /// [`Error::Input`] (key `frames`) naming the text and the accepted forms.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let bad = |why: &str| {
            input_error(
                Path::new("<command line>"),
                "frames",
                format!(
                    "invalid frame selection `{text}`: {why} (expected `all`, `last`, `5`, `-1`, `1,4,9`, `0:10`, `0:10:2` or `::5`)"
                ),
            )
        };
        let number = |s: &str| -> Result<u64> {
            s.trim()
                .parse::<u64>()
                .map_err(|_| bad(&format!("`{}` is not a frame index", s.trim())))
        };
        if text.is_empty() || text.eq_ignore_ascii_case("all") {
            return Ok(FrameSelection::All);
        }
        if text == "-1" || text.eq_ignore_ascii_case("last") {
            return Ok(FrameSelection::Last);
        }
        if text.contains(':') {
            let parts: Vec<&str> = text.split(':').collect();
            if parts.len() > 3 {
                return Err(bad("too many `:`"));
            }
            let field = |i: usize| -> Result<Option<u64>> {
                match parts.get(i).map(|s| s.trim()) {
                    None | Some("") => Ok(None),
                    Some(s) => number(s).map(Some),
                }
            };
            let start = field(0)?.unwrap_or(0);
            let end = field(1)?;
            let stride = field(2)?.unwrap_or(1);
            if stride == 0 {
                return Err(bad("the stride must be at least 1"));
            }
            if end.is_some_and(|e| e < start) {
                return Err(bad("the end is before the start"));
            }
            if start == 0 && end.is_none() && stride == 1 {
                return Ok(FrameSelection::All);
            }
            return Ok(FrameSelection::Range { start, end, stride });
        }
        let list = text.split(',').map(number).collect::<Result<Vec<_>>>()?;
        Ok(FrameSelection::List(list))
    }

    /// The frame indices selected in a file of `frames` frames.
    ///
    /// # Errors
    /// [`Error::Input`] if an explicit index is out of range or nothing is selected.
    pub fn resolve(&self, frames: u64, path: &Path) -> Result<Vec<u64>> {
        let selected: Vec<u64> = match self {
            FrameSelection::All => (0..frames).collect(),
            FrameSelection::Range { start, end, stride } => {
                let end = end.map_or(frames, |e| e.min(frames));
                (*start..end)
                    .step_by(usize::try_from(*stride).unwrap_or(usize::MAX).max(1))
                    .collect()
            }
            FrameSelection::List(list) => {
                if let Some(bad) = list.iter().find(|&&f| f >= frames) {
                    return Err(input_error(
                        path,
                        "frames",
                        format!("frame {bad} does not exist: the file holds {frames} frames"),
                    ));
                }
                list.clone()
            }
            FrameSelection::Last => frames.checked_sub(1).into_iter().collect(),
        };
        if selected.is_empty() {
            return Err(input_error(
                path,
                "frames",
                format!("the selection {self:?} contains no frame (the file holds {frames})"),
            ));
        }
        Ok(selected)
    }
}

/// Writes `out` (or the input path with extension `.xyz` / `.xdmf`) for the selected frames
/// and returns the paths written.
///
/// # Errors
/// [`Error::Io`] if the input is missing or the output cannot be written, [`Error::Input`]
/// for a foreign file or a bad selection, [`Error::Output`] if a dataset cannot be read.
pub fn export(
    path: &Path,
    format: ExportFormat,
    frames: &FrameSelection,
    out: Option<&Path>,
) -> Result<Vec<PathBuf>> {
    let OpenedFile { file, .. } = reader::open(path, false)?;
    let total = reader::frame_count(path, &file)?;
    let selected = frames.resolve(total, path)?;
    let extension = match format {
        ExportFormat::Xyz => "xyz",
        ExportFormat::Xdmf => "xdmf",
    };
    let target = out.map_or_else(|| path.with_extension(extension), Path::to_path_buf);
    let text = match format {
        ExportFormat::Xyz => xyz_text(path, &file, &selected)?,
        ExportFormat::Xdmf => xdmf_text(path, &file, &selected, total, &target)?,
    };
    let io = |source| Error::Io {
        path: target.clone(),
        source,
    };
    let mut handle = std::fs::File::create(&target).map_err(io)?;
    handle.write_all(text.as_bytes()).map_err(io)?;
    handle.sync_all().map_err(io)?;
    Ok(vec![target])
}

/// Site data common to all frames.
struct Sites {
    positions: Vec<f32>,
    kinds: Vec<u16>,
    domains: Vec<u16>,
    elements: Vec<String>,
    edges: [f64; 9],
    origin: Vec<f64>,
    periodic: [bool; 3],
}

fn read_sites(path: &Path, file: &hdf5::File, frame: usize) -> Result<Sites> {
    let err = |e: hdf5::Error| output_error(path, "reading sites", e);
    let positions: Vec<f32> = file
        .dataset(&particle_path("position/value"))
        .and_then(|d| d.read_slice::<f32, _, ndarray::Ix2>(ndarray::s![frame, .., ..]))
        .map_err(err)?
        .iter()
        .copied()
        .collect();
    let kinds: Vec<u16> = file
        .dataset(&particle_path("kind"))
        .and_then(|d| d.read_raw())
        .map_err(err)?;
    let domains: Vec<u16> = file
        .dataset(&particle_path("domain"))
        .and_then(|d| d.read_raw())
        .map_err(err)?;
    let parameters = file.group("parameters").map_err(err)?;
    let elements = read_str_list_attr(&parameters, "species_elements").map_err(err)?;
    let edges_row: Vec<f64> = file
        .dataset(&particle_path("box/edges/value"))
        .and_then(|d| d.read_slice::<f64, _, ndarray::Ix2>(ndarray::s![frame, .., ..]))
        .map_err(err)?
        .iter()
        .copied()
        .collect();
    let mut edges = [0.0; 9];
    if edges_row.len() == 9 {
        edges.copy_from_slice(&edges_row);
    }
    let simulation_box = file.group(&particle_path("box")).map_err(err)?;
    let origin: Vec<f64> = simulation_box
        .attr("origin")
        .and_then(|a| a.read_raw())
        .map_err(err)?;
    let boundary = read_str_list_attr(&simulation_box, "boundary").map_err(err)?;
    let mut periodic = [false; 3];
    for (p, b) in periodic.iter_mut().zip(&boundary) {
        *p = b == "periodic";
    }
    if positions.len() != 3 * kinds.len() || domains.len() != kinds.len() {
        return Err(input_error(
            path,
            "particles",
            "inconsistent site datasets (position, kind, domain lengths differ)",
        ));
    }
    Ok(Sites {
        positions,
        kinds,
        domains,
        elements,
        edges,
        origin,
        periodic,
    })
}

fn xyz_text(path: &Path, file: &hdf5::File, selected: &[u64]) -> Result<String> {
    let err = |e: hdf5::Error| output_error(path, "reading frames", e);
    let sites = read_sites(path, file, to_usize(selected[0]))?;
    let species_ds = file.dataset(&particle_path("species/value")).map_err(err)?;
    let steps = file.dataset(STEP).map_err(err)?;
    let times = file.dataset(TIME).map_err(err)?;
    let lattice = sites
        .edges
        .iter()
        .map(|x| format!("{x:.8}"))
        .collect::<Vec<_>>()
        .join(" ");
    let origin = sites
        .origin
        .iter()
        .map(|x| format!("{x:.8}"))
        .collect::<Vec<_>>()
        .join(" ");
    let pbc = sites.periodic.map(|p| if p { "T" } else { "F" }).join(" ");
    let mut text = String::new();
    for &frame in selected {
        let f = to_usize(frame);
        let species: Vec<u8> = species_ds
            .read_slice_1d::<u8, _>(ndarray::s![f, ..])
            .map_err(err)?
            .to_vec();
        let step: i64 = steps.read_slice_1d::<i64, _>(f..=f).map_err(err)?[0];
        let time: f64 = times.read_slice_1d::<f64, _>(f..=f).map_err(err)?[0];
        let atoms = species.iter().filter(|&&s| s != 0).count();
        // Writing into a String cannot fail.
        let _ = writeln!(text, "{atoms}");
        let _ = writeln!(
            text,
            "Lattice=\"{lattice}\" Origin=\"{origin}\" Properties=species:S:1:pos:R:3:domain:I:1:kind:I:1 Time={time:e} Step={step} Frame={frame} pbc=\"{pbc}\""
        );
        for (site, &s) in species.iter().enumerate() {
            if s == 0 {
                continue;
            }
            let element = sites
                .elements
                .get(usize::from(s))
                .map_or("X", String::as_str);
            let p = &sites.positions[3 * site..3 * site + 3];
            let _ = writeln!(
                text,
                "{element} {:.6} {:.6} {:.6} {} {}",
                p[0], p[1], p[2], sites.domains[site], sites.kinds[site]
            );
        }
    }
    Ok(text)
}

fn xdmf_text(
    path: &Path,
    file: &hdf5::File,
    selected: &[u64],
    total: u64,
    target: &Path,
) -> Result<String> {
    let err = |e: hdf5::Error| output_error(path, "reading frames", e);
    let n = file
        .dataset(&particle_path("kind"))
        .map_err(err)?
        .shape()
        .first()
        .copied()
        .unwrap_or(0);
    let times: Vec<f64> = file.dataset(TIME).and_then(|d| d.read_raw()).map_err(err)?;
    // The sidecar names the .h5 relative to itself when both sit in the same directory.
    let same_dir = path.parent().map(Path::to_path_buf).unwrap_or_default()
        == target.parent().map(Path::to_path_buf).unwrap_or_default();
    let h5_name = if same_dir {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        std::fs::canonicalize(path)
            .map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?
            .to_string_lossy()
            .into_owned()
    };
    let h5_name = xml_escape(&h5_name);
    let slab = |dataset: &str, frame: u64, inner: &[usize], number: &str, precision: u8| {
        let dims: Vec<String> = inner.iter().map(ToString::to_string).collect();
        let zeros = vec!["0"; inner.len()].join(" ");
        let ones = vec!["1"; inner.len()].join(" ");
        format!(
            "<DataItem ItemType=\"HyperSlab\" Dimensions=\"{inner_dims}\" Type=\"HyperSlab\">\n\
             <DataItem Dimensions=\"3 {rank}\" Format=\"XML\">{frame} {zeros} 1 {ones} 1 {inner_dims}</DataItem>\n\
             <DataItem Dimensions=\"{total} {inner_dims}\" NumberType=\"{number}\" Precision=\"{precision}\" Format=\"HDF\">{h5_name}:{PARTICLES}/{dataset}</DataItem>\n\
             </DataItem>",
            inner_dims = dims.join(" "),
            rank = inner.len() + 1,
        )
    };
    let mut text = String::from(
        "<?xml version=\"1.0\" ?>\n<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n<Xdmf Version=\"3.0\">\n<Domain>\n<Grid Name=\"trajectory\" GridType=\"Collection\" CollectionType=\"Temporal\">\n",
    );
    for &frame in selected {
        let time = times.get(to_usize(frame)).copied().unwrap_or(f64::NAN);
        let _ = write!(
            text,
            "<Grid Name=\"frame {frame}\" GridType=\"Uniform\">\n<Time Value=\"{time:e}\"/>\n\
             <Topology TopologyType=\"Polyvertex\" NumberOfElements=\"{n}\" NodesPerElement=\"1\"/>\n\
             <Geometry GeometryType=\"XYZ\">\n{}\n</Geometry>\n\
             <Attribute Name=\"species\" AttributeType=\"Scalar\" Center=\"Node\">\n{}\n</Attribute>\n",
            slab("position/value", frame, &[n, 3], "Float", 4),
            slab("species/value", frame, &[n], "UChar", 1),
        );
        for name in ["kind", "domain"] {
            let _ = write!(
                text,
                "<Attribute Name=\"{name}\" AttributeType=\"Scalar\" Center=\"Node\">\n\
                 <DataItem Dimensions=\"{n}\" NumberType=\"UInt\" Precision=\"2\" Format=\"HDF\">{h5_name}:{PARTICLES}/{name}</DataItem>\n\
                 </Attribute>\n"
            );
        }
        text.push_str("</Grid>\n");
    }
    text.push_str("</Grid>\n</Domain>\n</Xdmf>\n");
    Ok(text)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
