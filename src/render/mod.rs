//! Synthetic microscope pictures of trajectory frames: HAADF-STEM images and EDS-like
//! elemental maps, as PNG per frame and an animated GIF (`nanokmc render`,
//! `docs/render.md`).
//!
//! **HAADF.** High-angle annular dark-field intensity grows with the atomic number roughly
//! as Zⁿ, n ≈ 1.6–2 (incoherent Rutherford-like scattering screened by the core electrons;
//! Pennycook & Boatner, Nature 336 (1988) 565; Hartel, Rose & Dinges, Ultramicroscopy 63
//! (1996) 93). The image is the sum over atoms of Zⁿ projected along the zone axis
//! ([`projection`]), blurred by a Gaussian probe ([`blur`]), optionally turned into electron
//! counts with Poisson shot noise at a dose ([`noise`]). A pixel value is the expected
//! "Zⁿ per pixel": a column of `m` atoms of element Z at a pixel centre has `m Zⁿ` before
//! the blur, and the blur conserves the total. Channelling, thickness non-linearity,
//! thermal diffuse scattering and detector angles are not modelled: the picture shows
//! where the atoms are and how heavy the columns are, not a quantitative simulation
//! (for that, export the frame and use abTEM or Dr. Probe).
//!
//! **EDS.** One map per atomic species: the number of atoms per pixel, projected and
//! blurred like the HAADF image, each normalised and coloured, then added ([`colour`]).
//!
//! Frames are read one at a time ([`crate::output::trajectory::TrajectoryReader`]); only
//! the projected site positions and one frame of species are in memory.
//!
//! - [`view`]: zone axis, image plane, pixel grid.
//! - [`elements`]: atomic numbers.
//! - [`projection`], [`blur`], [`noise`]: the image formation.
//! - [`colour`]: grey levels and the colour composite.
//! - [`annotate`]: scale bar, time, temperature, legend.

pub mod annotate;
pub mod blur;
pub mod colour;
pub mod elements;
pub mod noise;
pub mod projection;
pub mod view;

use std::path::{Path, PathBuf};

use self::annotate::Annotations;
use self::colour::Colour;
use self::projection::Image;
use self::view::{ImageGrid, ZoneAxis};
use crate::error::{Error, Location, Result};
use crate::output::FrameSelection;
use crate::output::trajectory::TrajectoryReader;
use crate::plot::encode::{self, GifAnimation};

/// Everything `nanokmc render` can be told.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderSettings {
    /// Frames to render.
    pub frames: FrameSelection,
    /// Beam direction.
    pub axis: ZoneAxis,
    /// Pixel size [Å].
    pub pixel: f64,
    /// Probe full width at half maximum [Å] (0: no blur).
    pub probe: f64,
    /// The exponent n of the Zⁿ contrast [dimensionless].
    pub exponent: f64,
    /// Electron dose counted at the brightest pixel [e/Å²]; `None`: no noise.
    pub dose: Option<f64>,
    /// Seed of the shot noise.
    pub seed: u64,
    /// Also render the EDS-like colour composite.
    pub eds: bool,
    /// X-ray counts at the brightest pixel of each EDS map (Poisson noise); `None`: none.
    pub eds_counts: Option<f64>,
    /// Atomic numbers given by hand, by species name or element symbol.
    pub atomic_numbers: Vec<(String, u32)>,
    /// Colours of the EDS maps, by species name.
    pub colours: Vec<(String, Colour)>,
    /// Directory of the PNG files.
    pub out_dir: PathBuf,
    /// Write one PNG per frame (and per mode).
    pub png: bool,
    /// Write an animated GIF of the frames here.
    pub gif: Option<PathBuf>,
    /// Frames per second of the GIF.
    pub fps: f64,
    /// Enlargement of the pictures (`None`: automatic, longer side ≥ 600 pixels).
    pub zoom: Option<usize>,
}

impl RenderSettings {
    /// The defaults of the command line (`--pixel 0.2 --probe 1.0 --exponent 1.7`, axis z,
    /// all frames, PNG files in `out_dir`, no noise, no EDS, no GIF).
    #[must_use]
    pub fn new(out_dir: PathBuf) -> Self {
        Self {
            frames: FrameSelection::All,
            axis: ZoneAxis {
                direction: [0.0, 0.0, 1.0],
                crystal: None,
            },
            pixel: 0.2,
            probe: 1.0,
            exponent: 1.7,
            dose: None,
            seed: 1,
            eds: false,
            eds_counts: None,
            atomic_numbers: Vec::new(),
            colours: Vec::new(),
            out_dir,
            png: true,
            gif: None,
            fps: 5.0,
            zoom: None,
        }
    }
}

/// Longer side of the displayed pictures when the zoom is automatic [pixels].
pub const AUTO_ZOOM_TARGET: usize = 600;

fn command_line_error(key: &str, message: String) -> Error {
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

/// Checks the numbers of `settings`.
///
/// # Errors
/// [`Error::Input`] naming the option at fault.
pub fn check_settings(settings: &RenderSettings) -> Result<()> {
    let positive = |key: &str, v: f64| {
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err(command_line_error(
                key,
                format!("must be a positive number, got {v}"),
            ))
        }
    };
    positive("pixel", settings.pixel)?;
    positive("fps", settings.fps)?;
    if !(settings.probe.is_finite() && settings.probe >= 0.0) {
        return Err(command_line_error(
            "probe",
            format!("the probe FWHM must be ≥ 0 Å, got {}", settings.probe),
        ));
    }
    if !(settings.exponent.is_finite() && settings.exponent >= 0.0) {
        return Err(command_line_error(
            "exponent",
            format!("the Z exponent must be ≥ 0, got {}", settings.exponent),
        ));
    }
    if let Some(dose) = settings.dose {
        positive("dose", dose)?;
    }
    if let Some(counts) = settings.eds_counts {
        positive("eds-counts", counts)?;
        if !settings.eds {
            return Err(command_line_error(
                "eds-counts",
                "X-ray noise is for the EDS maps: add --eds".into(),
            ));
        }
    }
    if settings.zoom == Some(0) {
        return Err(command_line_error("zoom", "must be at least 1".into()));
    }
    if !settings.png && settings.gif.is_none() {
        return Err(command_line_error(
            "no-png",
            "nothing to write: --no-png needs --gif".into(),
        ));
    }
    Ok(())
}

/// The atomic number of every species (index = species id; 0 for the vacancy).
///
/// # Errors
/// [`Error::Input`] (key `z`) for an atomic species whose element is not a chemical symbol
/// and that `overrides` does not cover, or an override that names no species.
pub fn atomic_numbers(
    names: &[String],
    elements: &[String],
    overrides: &[(String, u32)],
) -> Result<Vec<u32>> {
    for (name, _) in overrides {
        if !names.iter().skip(1).any(|n| n == name) && !elements.iter().skip(1).any(|e| e == name) {
            return Err(command_line_error(
                "z",
                format!(
                    "`{name}` is neither a species nor an element of the trajectory (species: {})",
                    names.iter().skip(1).cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    let mut z = vec![0];
    for (id, name) in names.iter().enumerate().skip(1) {
        let element = elements.get(id).map_or("", String::as_str);
        let given = overrides
            .iter()
            .find(|(n, _)| n == name)
            .or_else(|| overrides.iter().find(|(n, _)| n == element))
            .map(|(_, z)| *z);
        match given.or_else(|| elements::atomic_number(element)) {
            Some(value) => z.push(value),
            None => {
                return Err(command_line_error(
                    "z",
                    format!(
                        "species `{name}` has element `{element}`, which is not a chemical \
                         symbol: give its atomic number with --z {name}=Z"
                    ),
                ));
            }
        }
    }
    Ok(z)
}

/// The colour of every species for the EDS composite (index = species id).
///
/// # Errors
/// [`Error::Input`] (key `colors`) for a name that is not a species.
pub fn species_colours(names: &[String], chosen: &[(String, Colour)]) -> Result<Vec<Colour>> {
    for (name, _) in chosen {
        if !names.iter().skip(1).any(|n| n == name) {
            return Err(command_line_error(
                "colors",
                format!(
                    "`{name}` is not a species of the trajectory (species: {})",
                    names.iter().skip(1).cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    Ok(names
        .iter()
        .enumerate()
        .map(|(id, name)| {
            chosen
                .iter()
                .find(|(n, _)| n == name)
                .map_or_else(|| Colour::default_for(id), |(_, c)| *c)
        })
        .collect())
}

/// The noiseless HAADF image of one frame: Σ Zⁿ projected and blurred.
#[must_use]
pub fn haadf_image(
    grid: &ImageGrid,
    points: &[[f64; 2]],
    species: &[u8],
    weights: &[f64],
    probe: f64,
) -> Image {
    let projected = projection::project(grid, points, |site| {
        weights
            .get(usize::from(species[site]))
            .copied()
            .unwrap_or(0.0)
    });
    blur::blur(&projected, probe, grid.pixel)
}

/// The map of species `id` of one frame: atoms per pixel, projected and blurred.
#[must_use]
pub fn species_map(
    grid: &ImageGrid,
    points: &[[f64; 2]],
    species: &[u8],
    id: u8,
    probe: f64,
) -> Image {
    let projected = projection::project(
        grid,
        points,
        |site| {
            if species[site] == id { 1.0 } else { 0.0 }
        },
    );
    blur::blur(&projected, probe, grid.pixel)
}

/// Renders the selected frames of the trajectory at `path`; returns the files written.
///
/// # Errors
/// [`Error::Input`] for bad settings, a bad selection or an unknown element,
/// [`Error::Io`] / [`Error::Output`] if the trajectory cannot be read or a picture cannot
/// be written.
pub fn render(path: &Path, settings: &RenderSettings) -> Result<Vec<PathBuf>> {
    check_settings(settings)?;
    let reader = TrajectoryReader::open(path)?;
    let resolved = with_box_axis(&reader, settings)?;
    let settings = &resolved;
    let selected = settings.frames.resolve(reader.frames(), path)?;
    let names = reader.species_names().to_vec();
    let z = atomic_numbers(&names, reader.species_elements(), &settings.atomic_numbers)?;
    let colours = species_colours(&names, &settings.colours)?;

    // Geometry, once: project every site, cover them with pixels plus the probe's reach.
    let points = view::project_positions(&reader.positions()?, &settings.axis);
    let margin = blur::reach(settings.probe) + 2.0 * settings.pixel;
    let grid = ImageGrid::covering(&points, settings.pixel, margin)?;
    let zoom = settings
        .zoom
        .unwrap_or_else(|| annotate::auto_zoom(grid.width, grid.height, AUTO_ZOOM_TARGET));
    let times = reader.times()?;
    let temperatures = reader.temperatures()?;
    let at = |values: &[f64], frame: u64| {
        values
            .get(crate::output::h5md::to_usize(frame))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let last_time = selected
        .iter()
        .map(|&f| at(&times, f))
        .filter(|t| t.is_finite())
        .fold(0.0, f64::max);
    let unit = crate::plot::time_unit(last_time);
    let stem = path
        .file_stem()
        .map_or_else(|| "frame".to_string(), |s| s.to_string_lossy().into_owned());
    if settings.png {
        std::fs::create_dir_all(&settings.out_dir).map_err(|source| Error::Io {
            path: settings.out_dir.clone(),
            source,
        })?;
    }
    let (display_w, display_h) = (grid.width * zoom, grid.height * zoom);
    let mut gif = match &settings.gif {
        Some(gif_path) => Some(GifAnimation::new(
            gif_path,
            u32::try_from(display_w * if settings.eds { 2 } else { 1 }).unwrap_or(u32::MAX),
            u32::try_from(display_h).unwrap_or(u32::MAX),
            settings.fps,
        )?),
        None => None,
    };
    let elements = reader.species_elements();
    let mut painter = Painter {
        settings,
        grid,
        zoom,
        points,
        weights: z_weights(&z, settings.exponent),
        colours: colours.clone(),
        legend: legend(&names, elements, &z, &colours),
        haadf_reference: None,
        map_references: None,
    };

    let mut written = Vec::new();
    for &frame in &selected {
        let species = reader.species(frame)?;
        let corner = vec![
            annotate::time_text(at(&times, frame), unit),
            annotate::temperature_text(at(&temperatures, frame)),
            format!("frame {frame}"),
        ];
        let haadf = painter.haadf(&species, frame, corner.clone())?;
        let eds = if settings.eds {
            Some(painter.eds(&species, frame, corner)?)
        } else {
            None
        };
        if settings.png {
            let mut pictures = vec![("haadf", &haadf)];
            if let Some(eds) = &eds {
                pictures.push(("eds", eds));
            }
            for (mode, picture) in pictures {
                let target = settings
                    .out_dir
                    .join(format!("{stem}_{mode}_{frame:05}.png"));
                write_png(&target, picture, display_w, display_h)?;
                written.push(target);
            }
        }
        if let Some(animation) = gif.as_mut() {
            match &eds {
                Some(eds) => animation.push(&side_by_side(&haadf, eds, display_w, display_h))?,
                None => animation.push(&haadf)?,
            }
        }
    }
    if let Some(animation) = gif {
        written.push(animation.finish()?);
    }
    Ok(written)
}

/// Zⁿ per species id (0 for the vacancy, whose Z is 0).
fn z_weights(z: &[u32], exponent: f64) -> Vec<f64> {
    z.iter()
        .map(|&z| {
            if z == 0 {
                0.0
            } else {
                f64::from(z).powf(exponent)
            }
        })
        .collect()
}

/// The EDS legend: `name (element, Z z)` and colour per atomic species.
fn legend(
    names: &[String],
    elements: &[String],
    z: &[u32],
    colours: &[Colour],
) -> Vec<(String, Colour)> {
    (1..names.len())
        .map(|id| {
            let element = elements.get(id).map_or("", String::as_str);
            let text = if element.is_empty() || element == names[id] {
                format!("{} (Z {})", names[id], z[id])
            } else {
                format!("{} ({element}, Z {})", names[id], z[id])
            };
            (text, colours[id])
        })
        .collect()
}

/// What stays the same from frame to frame, and the grey-scale references fixed by the
/// first rendered frame (its brightest pixels).
struct Painter<'a> {
    settings: &'a RenderSettings,
    grid: ImageGrid,
    zoom: usize,
    points: Vec<[f64; 2]>,
    /// Zⁿ per species id (0 for the vacancy).
    weights: Vec<f64>,
    colours: Vec<Colour>,
    legend: Vec<(String, Colour)>,
    haadf_reference: Option<f64>,
    map_references: Option<Vec<f64>>,
}

impl Painter<'_> {
    /// The annotated HAADF picture of a frame (RGB, enlarged).
    fn haadf(&mut self, species: &[u8], frame: u64, corner: Vec<String>) -> Result<Vec<u8>> {
        let s = self.settings;
        let grid = &self.grid;
        let image = haadf_image(grid, &self.points, species, &self.weights, s.probe);
        let reference = *self
            .haadf_reference
            .get_or_insert_with(|| positive_or_one(image.max()));
        let rgb = match s.dose {
            Some(dose) => {
                let counts = noise::shot_noise(&image, reference, dose, grid.pixel, s.seed, frame);
                colour::grey(&counts, dose * grid.pixel * grid.pixel)
            }
            None => colour::grey(&image, reference),
        };
        let dose_text = s.dose.map(|d| format!(", {d} e/Å²")).unwrap_or_default();
        let notes = Annotations {
            corner,
            mode: format!(
                "HAADF, Z^{}, beam ∥ {}{dose_text}",
                s.exponent,
                s.axis.label()
            ),
            legend: Vec::new(),
            field_width: grid.field_width(),
        };
        finish_picture(&rgb, grid, self.zoom, &notes)
    }

    /// The annotated EDS composite of a frame (RGB, enlarged).
    fn eds(&mut self, species: &[u8], frame: u64, corner: Vec<String>) -> Result<Vec<u8>> {
        let s = self.settings;
        let grid = &self.grid;
        let maps: Vec<Image> = (1..self.colours.len())
            .map(|id| {
                let id = u8::try_from(id).unwrap_or(u8::MAX);
                species_map(grid, &self.points, species, id, s.probe)
            })
            .collect();
        let references = self
            .map_references
            .get_or_insert_with(|| maps.iter().map(|m| positive_or_one(m.max())).collect())
            .clone();
        let layers: Vec<(Image, f64, Colour)> = maps
            .into_iter()
            .zip(references)
            .enumerate()
            .map(|(k, (m, r))| match s.eds_counts {
                Some(counts) => {
                    let id = u8::try_from(k + 1).unwrap_or(u8::MAX);
                    let noisy = noise::xray_noise(&m, r, counts, s.seed, frame, id);
                    (noisy, counts, self.colours[k + 1])
                }
                None => (m, r, self.colours[k + 1]),
            })
            .collect();
        let rgb = colour::composite(&layers, grid.width, grid.height);
        let counts_text = s
            .eds_counts
            .map(|n| format!(", {n} X-rays at max"))
            .unwrap_or_default();
        let notes = Annotations {
            corner,
            mode: format!("EDS maps, beam ∥ {}{counts_text}", s.axis.label()),
            legend: self.legend.clone(),
            field_width: grid.field_width(),
        };
        finish_picture(&rgb, grid, self.zoom, &notes)
    }
}

/// `settings` with a crystal zone axis (`DOMAIN:[uvw]`) turned into its box-frame
/// direction with the domain's cell stored in the trajectory.
fn with_box_axis(reader: &TrajectoryReader, settings: &RenderSettings) -> Result<RenderSettings> {
    let cells = reader.domain_cells()?;
    Ok(RenderSettings {
        axis: settings
            .axis
            .resolve(reader.domain_names(), cells.as_deref())?,
        ..settings.clone()
    })
}

fn positive_or_one(x: f64) -> f64 {
    if x > 0.0 && x.is_finite() { x } else { 1.0 }
}

/// Enlarges the picture and draws its annotations.
fn finish_picture(
    rgb: &[u8],
    grid: &ImageGrid,
    zoom: usize,
    notes: &Annotations,
) -> Result<Vec<u8>> {
    let mut big = annotate::enlarge(rgb, grid.width, grid.height, zoom);
    annotate::draw(&mut big, grid.width * zoom, grid.height * zoom, notes)?;
    Ok(big)
}

fn write_png(path: &Path, rgb: &[u8], width: usize, height: usize) -> Result<()> {
    let too_large = || Error::Output {
        path: path.to_path_buf(),
        message: "picture too large".into(),
    };
    let bytes = encode::png_bytes(
        path,
        rgb,
        u32::try_from(width).map_err(|_| too_large())?,
        u32::try_from(height).map_err(|_| too_large())?,
    )?;
    encode::write_whole(path, &bytes)
}

/// Two pictures of the same size next to each other.
fn side_by_side(left: &[u8], right: &[u8], width: usize, height: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    for j in 0..height {
        out.extend_from_slice(&left[3 * j * width..3 * (j + 1) * width]);
        out.extend_from_slice(&right[3 * j * width..3 * (j + 1) * width]);
    }
    out
}
