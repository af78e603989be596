//! `nanokmc render` and `nanokmc plot` end to end on a small synthetic trajectory (see
//! `tests/output_common`): PNG per frame, the animated GIF, EDS composites, plots as PNG and
//! SVG from a trajectory and from a CSV file, and bad input (exit code 2, a clear message,
//! nothing written).

mod output_common;

use std::path::Path;
use std::process::{Command, Output};

use nanokmc::output::RunStatus;
use output_common::{frames, header, write_trajectory};

fn nanokmc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nanokmc"))
        .args(args)
        .output()
        .expect("run nanokmc")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A 3-frame trajectory of 4³ fcc cells (256 sites, Cd and Se, 10 % vacancies).
fn trajectory(dir: &Path) -> String {
    let path = dir.join("small.h5");
    let h = header(4);
    let f = frames(&h, 11, 3, 0.1);
    write_trajectory(&path, &h, &f)
        .finish(RunStatus::Complete, &[])
        .expect("finish");
    path.to_string_lossy().into_owned()
}

fn png_size(path: &Path) -> (u32, u32) {
    let image = image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (image.width(), image.height())
}

#[test]
fn render_writes_png_per_frame_and_gif() {
    let dir = tempfile::tempdir().unwrap();
    let traj = trajectory(dir.path());
    let out = dir.path().join("pictures");
    let gif = dir.path().join("movie.gif");
    let output = nanokmc(&[
        "render",
        &traj,
        "--frames",
        "0:3",
        "--eds",
        "--axis",
        "1,1,0",
        "--dose",
        "1000",
        "--out-dir",
        out.to_str().unwrap(),
        "--gif",
        gif.to_str().unwrap(),
        "--fps",
        "4",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut sizes = Vec::new();
    for f in 0..3 {
        for mode in ["haadf", "eds"] {
            let png = out.join(format!("small_{mode}_{f:05}.png"));
            sizes.push(png_size(&png));
        }
    }
    assert!(
        sizes.iter().all(|s| *s == sizes[0] && s.0 >= 300),
        "{sizes:?}"
    );
    // The GIF holds 3 frames, HAADF and EDS side by side, 25 cs apart.
    let file = std::fs::File::open(&gif).unwrap();
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(file).unwrap();
    assert_eq!(
        (u32::from(decoder.width()), u32::from(decoder.height())),
        (2 * sizes[0].0, sizes[0].1)
    );
    let mut count = 0;
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        assert_eq!(frame.delay, 25);
        count += 1;
    }
    assert_eq!(count, 3);
    // Deterministic: the same command writes the same bytes (noise included).
    let again = dir.path().join("again");
    let output = nanokmc(&[
        "render",
        &traj,
        "--frames",
        "all",
        "--axis",
        "1,1,0",
        "--dose",
        "1000",
        "--out-dir",
        again.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    for f in 0..3 {
        let name = format!("small_haadf_{f:05}.png");
        assert_eq!(
            std::fs::read(out.join(&name)).unwrap(),
            std::fs::read(again.join(&name)).unwrap(),
            "{name}"
        );
    }
}

/// `--eds-counts` adds X-ray noise to the EDS maps (the picture changes, the same seed
/// gives the same bytes); without `--eds` it is a command-line error (exit 2).
#[test]
fn render_eds_counts_add_noise_to_the_maps() {
    let dir = tempfile::tempdir().unwrap();
    let traj = trajectory(dir.path());
    let render = |out: &str, extra: &[&str]| {
        let path = dir.path().join(out);
        let mut args = vec!["render", &traj, "--frames", "-1", "--eds", "--out-dir"];
        let p = path.to_str().unwrap().to_string();
        args.push(&p);
        args.extend_from_slice(extra);
        let output = nanokmc(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        std::fs::read(path.join("small_eds_00002.png")).unwrap()
    };
    let clean = render("clean", &[]);
    let noisy = render("noisy", &["--eds-counts", "20", "--seed", "5"]);
    let again = render("again", &["--eds-counts", "20", "--seed", "5"]);
    assert_ne!(clean, noisy);
    assert_eq!(noisy, again);
    let output = nanokmc(&["render", &traj, "--eds-counts", "20"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("eds-counts"),
        "{}",
        stderr(&output)
    );
}

/// A zone axis in a domain's crystal: `top:[100]` is the box's y (the top domain's cell is
/// turned 90° about z), so the picture has the size of `--axis y`'s and differs from
/// `bottom:[100]` (= x) only where x and y views differ; unknown domains and bad indices
/// are errors at key `axis` (exit 2).
#[test]
fn render_crystal_zone_axis_of_a_domain() {
    let dir = tempfile::tempdir().unwrap();
    let traj = trajectory(dir.path());
    let size = |axis: &str, out: &str| {
        let path = dir.path().join(out);
        let output = nanokmc(&[
            "render",
            &traj,
            "--frames",
            "-1",
            "--axis",
            axis,
            "--pixel",
            "0.5",
            "--zoom",
            "1",
            "--out-dir",
            path.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{axis}: {}", stderr(&output));
        png_size(&path.join("small_haadf_00002.png"))
    };
    assert_eq!(size("top:[100]", "a"), size("y", "b"));
    assert_eq!(size("bottom:[100]", "c"), size("x", "d"));
    assert_eq!(size("top:[001]", "e"), size("z", "f"));
    for (axis, word) in [
        ("middle:[100]", "no domain `middle`"),
        ("top:[2-1-00]", "T = −(U + V)"),
        ("top:[000]", "zero vector"),
    ] {
        let output = nanokmc(&["render", &traj, "--axis", axis]);
        assert_eq!(output.status.code(), Some(2), "{axis}");
        assert!(
            stderr(&output).contains(word),
            "{axis}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn render_last_frame_by_default_next_to_the_trajectory() {
    let dir = tempfile::tempdir().unwrap();
    let traj = trajectory(dir.path());
    let output = nanokmc(&["render", &traj, "--zoom", "2", "--pixel", "0.5"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = nanokmc(&[
        "render", &traj, "--frames", "-1", "--zoom", "2", "--pixel", "0.5",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let png = dir.path().join("small_haadf_00002.png");
    let (w, _) = png_size(&png);
    // 4 cells of 4.2 Å plus the margin, at 0.5 Å per pixel, enlarged twice.
    assert!(w % 2 == 0 && w > 2 * 34 && w < 2 * 50, "width {w}");
}

#[test]
fn plot_trajectory_and_csv_as_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let traj = trajectory(dir.path());
    let svg = dir.path().join("counts.svg");
    let output = nanokmc(&["plot", &traj, "--out", svg.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("<svg"));
    for label in [
        "bottom/Cd",
        "top/Se",
        "all/Cd",
        "time [ms]",
        "species_counts [atoms]",
    ] {
        assert!(text.contains(label), "missing {label}");
    }
    let png = dir.path().join("energy.png");
    let output = nanokmc(&[
        "plot",
        &traj,
        "--observable",
        "energy",
        "--observable",
        "temperature",
        "--x",
        "temperature",
        "--out",
        png.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(png_size(&png), (1200, 750));

    let csv = dir.path().join("series.csv");
    std::fs::write(
        &csv,
        "time [s],temperature,coverage,energy\n0,300,0.1,-1\n1e-3,310,0.2,\n2e-3,320,0.4,-3\n",
    )
    .unwrap();
    let output = nanokmc(&["plot", csv.to_str().unwrap(), "--observable", "coverage"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(png_size(&dir.path().join("series.png")), (1200, 750));
}

/// Bad input: exit code 2, a message naming the key, nothing written.
#[test]
fn bad_input_exits_with_code_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let traj = trajectory(dir.path());
    let out = dir.path().join("nothing");
    let out_text = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["plot", &traj, "--observable", "coverage", "--out", "x.png"],
            "no observable `coverage` in the trajectory",
        ),
        (
            vec!["render", &traj, "--axis", "w", "--out-dir", out_text],
            "key `axis`: invalid zone axis `w`",
        ),
        (
            vec!["render", &traj, "--axis", "0,0,0", "--out-dir", out_text],
            "the zero vector has no direction",
        ),
        (
            vec!["render", &traj, "--frames", "7", "--out-dir", out_text],
            "frame 7 does not exist",
        ),
        (
            vec!["render", &traj, "--pixel", "0", "--out-dir", out_text],
            "key `pixel`",
        ),
        (
            vec!["render", &traj, "--pixel", "0.0001", "--out-dir", out_text],
            "choose a larger pixel",
        ),
        (
            vec![
                "render",
                &traj,
                "--eds",
                "--colors",
                "Cd=mauve",
                "--out-dir",
                out_text,
            ],
            "unknown colour `mauve`",
        ),
        (
            vec!["render", &traj, "--z", "Xx=12", "--out-dir", out_text],
            "`Xx` is neither a species nor an element",
        ),
        (
            vec!["render", &traj, "--z", "Cd=200", "--out-dir", out_text],
            "from 1 to 118",
        ),
        (
            vec!["plot", &traj, "--out", "plot.jpg"],
            "must end in .png or .svg",
        ),
        (
            vec!["render", "/nonexistent/t.h5", "--out-dir", out_text],
            "/nonexistent/t.h5",
        ),
    ];
    for (args, message) in cases {
        let output = nanokmc(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        let text = stderr(&output);
        assert!(text.contains(message), "{args:?}: {text}");
        assert!(!text.contains("panicked"), "{text}");
    }
    assert!(!out.exists(), "nothing may be written on bad input");
    assert!(!Path::new("x.png").exists() && !Path::new("plot.jpg").exists());
}

/// Species whose element is not a chemical symbol need `--z`.
#[test]
fn pseudo_elements_need_atomic_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pseudo.h5");
    let mut h = header(3);
    h.species_elements = vec!["X".into(), "A".into(), "B".into()];
    let f = frames(&h, 5, 1, 0.0);
    write_trajectory(&path, &h, &f)
        .finish(RunStatus::Complete, &[])
        .expect("finish");
    let traj = path.to_str().unwrap();
    let output = nanokmc(&["render", traj]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.contains("species `Cd` has element `A`, which is not a chemical symbol")
            && text.contains("--z Cd=Z"),
        "{text}"
    );
    let output = nanokmc(&["render", traj, "--z", "A=29,B=48"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.path().join("pseudo_haadf_00000.png").exists());
}
