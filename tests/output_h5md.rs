//! The H5MD trajectory writer, `info`, `export` and frame selections: exact round trip of
//! every dataset and attribute, resume, a writer killed with SIGKILL, foreign files, and the
//! bytes per frame at 10⁶ sites.

mod output_common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use hdf5::types::{FixedAscii, VarLenUnicode};
use nanokmc::Error;
use nanokmc::output::{ExportFormat, FrameSelection, RunStatus, TrajectoryWriter, export, info};
use output_common::{SyntheticFrame, frames, header, write_trajectory};

const SEED: u64 = 20_261_122;

fn strings(attr: &hdf5::Attribute) -> Vec<String> {
    attr.read_raw::<VarLenUnicode>()
        .expect("string list")
        .iter()
        .map(|s| s.as_str().to_string())
        .collect()
}

fn string(attr: &hdf5::Attribute) -> String {
    attr.read_scalar::<VarLenUnicode>()
        .expect("string")
        .as_str()
        .to_string()
}

/// Checks every per-frame dataset of `file` against `expected`.
fn assert_frames(
    file: &hdf5::File,
    h: &nanokmc::output::TrajectoryHeader,
    expected: &[SyntheticFrame],
) {
    let n = h.site_count();
    let f = expected.len();
    let p = "particles/trajectory";
    let species: Vec<u8> = file
        .dataset(&format!("{p}/species/value"))
        .unwrap()
        .read_raw()
        .unwrap();
    assert_eq!(species.len(), f * n);
    for (i, frame) in expected.iter().enumerate() {
        assert_eq!(
            &species[i * n..(i + 1) * n],
            frame.species.as_slice(),
            "species of frame {i}"
        );
    }
    for element in ["species", "position", "box/edges"] {
        let step: Vec<i64> = file
            .dataset(&format!("{p}/{element}/step"))
            .unwrap()
            .read_raw()
            .unwrap();
        let time: Vec<f64> = file
            .dataset(&format!("{p}/{element}/time"))
            .unwrap()
            .read_raw()
            .unwrap();
        assert_eq!(
            step,
            expected
                .iter()
                .map(|fr| i64::try_from(fr.step).unwrap())
                .collect::<Vec<_>>()
        );
        assert_eq!(time, expected.iter().map(|fr| fr.time).collect::<Vec<_>>());
    }
    let position: Vec<f32> = file
        .dataset(&format!("{p}/position/value"))
        .unwrap()
        .read_raw()
        .unwrap();
    assert_eq!(position.len(), f * n * 3);
    #[allow(clippy::cast_possible_truncation)]
    let one: Vec<f32> = h
        .positions
        .iter()
        .flat_map(|q| q.map(|x| x as f32))
        .collect();
    for i in 0..f {
        assert_eq!(&position[i * n * 3..(i + 1) * n * 3], one.as_slice());
    }
    let edges: Vec<f64> = file
        .dataset(&format!("{p}/box/edges/value"))
        .unwrap()
        .read_raw()
        .unwrap();
    let one_edges: Vec<f64> = h.box_edges.iter().flatten().copied().collect();
    assert_eq!(edges, one_edges.repeat(f));
    let obs = |name: &str| file.dataset(&format!("observables/{name}/value")).unwrap();
    let f64s = |name: &str| -> Vec<f64> { obs(name).read_raw().unwrap() };
    let u64s = |name: &str| -> Vec<u64> { obs(name).read_raw().unwrap() };
    assert_eq!(
        f64s("temperature"),
        expected
            .iter()
            .map(|x| x.observables.temperature)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        f64s("beam_flux"),
        expected
            .iter()
            .map(|x| x.observables.beam_flux)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        u64s("null_events"),
        expected
            .iter()
            .map(|x| x.observables.null_events)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        u64s("species_counts"),
        expected
            .iter()
            .flat_map(|x| x.observables.species_counts.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        u64s("evaporated"),
        expected
            .iter()
            .flat_map(|x| x.observables.evaporated.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        u64s("deposited"),
        expected
            .iter()
            .flat_map(|x| x.observables.deposited.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        u64s("transfers"),
        expected
            .iter()
            .flat_map(|x| x.observables.transfers.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        u64s("events_by_rule"),
        expected
            .iter()
            .flat_map(|x| x.observables.events_by_rule.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        obs("species_counts").shape(),
        vec![f, h.domain_names.len(), h.species_names.len()]
    );
    for (k, name) in ["energy", "surface_fraction"].iter().enumerate() {
        assert_eq!(
            f64s(name),
            expected
                .iter()
                .map(|x| x.observables.extra[k].1)
                .collect::<Vec<_>>()
        );
        let step: Vec<i64> = file
            .dataset(&format!("observables/{name}/step"))
            .unwrap()
            .read_raw()
            .unwrap();
        assert_eq!(step.len(), f);
    }
}

/// Serialises the tests of this file. HDF5 opens files without close-on-exec, so a child
/// process started by one test (a writer, `nanokmc`, Python) would inherit another test's
/// open file, and with it the file's lock, for its whole life; the next open of that file
/// then fails ("unable to lock file"). One test at a time avoids that.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn writer_round_trip_reads_back_every_dataset_and_attribute() {
    let _guard = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.h5");
    let h = header(4);
    let fr = frames(&h, SEED, 6, 0.05);
    let writer = write_trajectory(&path, &h, &fr);
    assert_eq!(writer.frames(), 6);
    let summary = vec![
        ("wall_time".to_string(), "12.5 s".to_string()),
        ("events_per_second".to_string(), "1.2e6".to_string()),
    ];
    writer.finish(RunStatus::Complete, &summary).unwrap();

    let file = hdf5::File::open(&path).unwrap();
    // /h5md
    let h5md = file.group("h5md").unwrap();
    assert_eq!(
        h5md.attr("version").unwrap().read_raw::<i32>().unwrap(),
        vec![1, 1]
    );
    assert_eq!(
        string(&h5md.group("author").unwrap().attr("name").unwrap()),
        "output test"
    );
    assert_eq!(
        string(&h5md.group("creator").unwrap().attr("name").unwrap()),
        "nanokmc"
    );
    assert_eq!(
        string(&h5md.group("creator").unwrap().attr("version").unwrap()),
        "0.1.0"
    );
    // /particles
    assert_eq!(
        file.group("particles").unwrap().member_names().unwrap(),
        vec!["trajectory"]
    );
    let b = file.group("particles/trajectory/box").unwrap();
    assert_eq!(
        b.attr("dimension").unwrap().read_scalar::<i32>().unwrap(),
        3
    );
    assert_eq!(
        strings(&b.attr("boundary").unwrap()),
        vec!["periodic", "periodic", "none"]
    );
    assert_eq!(
        b.attr("origin").unwrap().read_raw::<f64>().unwrap(),
        h.box_origin.to_vec()
    );
    let unit = |p: &str| string(&file.dataset(p).unwrap().attr("unit").unwrap());
    assert_eq!(unit("particles/trajectory/position/value"), "Angstrom");
    assert_eq!(unit("particles/trajectory/box/edges/value"), "Angstrom");
    assert_eq!(unit("particles/trajectory/species/time"), "s");
    assert_eq!(unit("observables/temperature/value"), "K");
    let kind = file.dataset("particles/trajectory/kind").unwrap();
    assert_eq!(kind.read_raw::<u16>().unwrap(), h.site_kinds);
    assert_eq!(strings(&kind.attr("names").unwrap()), h.kind_names);
    let domain = file.dataset("particles/trajectory/domain").unwrap();
    assert_eq!(domain.read_raw::<u16>().unwrap(), h.site_domains);
    assert_eq!(strings(&domain.attr("names").unwrap()), h.domain_names);
    let species = file.dataset("particles/trajectory/species/value").unwrap();
    assert_eq!(strings(&species.attr("names").unwrap()), h.species_names);
    assert_eq!(
        strings(&species.attr("elements").unwrap()),
        h.species_elements
    );
    let counts = file.dataset("observables/species_counts/value").unwrap();
    assert_eq!(strings(&counts.attr("domains").unwrap()), h.domain_names);
    assert_eq!(strings(&counts.attr("species").unwrap()), h.species_names);
    let rules = file.dataset("observables/events_by_rule/value").unwrap();
    assert_eq!(strings(&rules.attr("rules").unwrap()), h.rule_names);
    assert_frames(&file, &h, &fr);
    // /parameters
    let par = file.group("parameters").unwrap();
    let text = |name: &str| {
        file.dataset(&format!("parameters/{name}"))
            .unwrap()
            .read_scalar::<VarLenUnicode>()
            .unwrap()
            .as_str()
            .to_string()
    };
    assert_eq!(text("scenario"), h.scenario_text);
    assert_eq!(text("potential"), h.potential_text);
    assert_eq!(string(&par.attr("scenario_path").unwrap()), h.scenario_path);
    assert_eq!(
        string(&par.attr("potential_path").unwrap()),
        h.potential_path
    );
    assert_eq!(
        string(&par.attr("program_version").unwrap()),
        h.program_version
    );
    assert_eq!(
        par.attr("seed").unwrap().read_scalar::<u64>().unwrap(),
        h.seed
    );
    assert_eq!(
        par.attr("replica").unwrap().read_scalar::<u32>().unwrap(),
        h.replica
    );
    assert_eq!(
        par.attr("replicas").unwrap().read_scalar::<u32>().unwrap(),
        h.replicas
    );
    assert_eq!(
        strings(&par.attr("species_names").unwrap()),
        h.species_names
    );
    assert_eq!(
        strings(&par.attr("species_elements").unwrap()),
        h.species_elements
    );
    assert_eq!(strings(&par.attr("kind_names").unwrap()), h.kind_names);
    assert_eq!(strings(&par.attr("domain_names").unwrap()), h.domain_names);
    assert_eq!(strings(&par.attr("rule_names").unwrap()), h.rule_names);
    assert_eq!(
        strings(&par.attr("extra_observables").unwrap()),
        vec!["energy", "surface_fraction"]
    );
    let status = file
        .dataset("parameters/status")
        .unwrap()
        .read_raw::<FixedAscii<16>>()
        .unwrap();
    assert_eq!(status[0].as_str(), "complete");
    let s = par.group("summary").unwrap();
    assert_eq!(string(&s.attr("wall_time").unwrap()), "12.5 s");
    assert_eq!(string(&s.attr("events_per_second").unwrap()), "1.2e6");

    let report = info(&path).unwrap();
    assert_eq!(report.frames, 6);
    assert!(report.is_complete());
    assert!(!report.left_open);
    assert_eq!(report.first, Some((fr[0].step, fr[0].time)));
    assert_eq!(report.last, Some((fr[5].step, fr[5].time)));
    let total = |x: &SyntheticFrame, s: usize| {
        x.species.iter().filter(|&&y| usize::from(y) == s).count() as u64
    };
    assert_eq!(
        report.last_counts,
        (0..3).map(|s| total(&fr[5], s)).collect::<Vec<_>>()
    );
    assert_eq!(report.summary.len(), 2);
    let shown = report.to_string();
    assert!(shown.contains("frames      6"), "{shown}");
    assert!(shown.contains("complete"), "{shown}");
}

#[test]
fn writer_existing_file_without_overwrite_is_error() {
    let _guard = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.h5");
    let h = header(2);
    TrajectoryWriter::create(&path, &h, false)
        .unwrap()
        .finish(RunStatus::Complete, &[])
        .unwrap();
    let err = TrajectoryWriter::create(&path, &h, false).unwrap_err();
    assert!(matches!(err, Error::Output { .. }), "{err}");
    TrajectoryWriter::create(&path, &h, true).unwrap();
}

#[test]
fn writer_bad_frame_lengths_and_extra_names_are_errors() {
    let _guard = serial();
    let dir = tempfile::tempdir().unwrap();
    let h = header(2);
    let fr = frames(&h, SEED, 2, 0.1);
    let mut writer = TrajectoryWriter::create(&dir.path().join("a.h5"), &h, false).unwrap();
    let short = &fr[0].species[1..];
    let err = writer
        .write_frame(&nanokmc::output::Frame {
            species: short,
            ..fr[0].frame()
        })
        .unwrap_err();
    assert!(err.to_string().contains("species has"), "{err}");
    writer.write_frame(&fr[0].frame()).unwrap();
    let mut other = fr[1].clone();
    other.observables.extra.pop();
    let err = writer.write_frame(&other.frame()).unwrap_err();
    assert!(err.to_string().contains("extra observables"), "{err}");
    let mut clash = fr[0].clone();
    clash.observables.extra[0].0 = "temperature".into();
    let mut fresh = TrajectoryWriter::create(&dir.path().join("b.h5"), &h, false).unwrap();
    let err = fresh.write_frame(&clash.frame()).unwrap_err();
    assert!(err.to_string().contains("built-in"), "{err}");
}

#[test]
fn resume_keeping_three_of_five_appends_after_them() {
    let _guard = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.h5");
    let h = header(3);
    let first = frames(&h, SEED, 5, 0.05);
    let mut writer = write_trajectory(&path, &h, &first);
    writer.set_status(RunStatus::Interrupted).unwrap();
    writer.finish(RunStatus::Interrupted, &[]).unwrap();
    assert_eq!(info(&path).unwrap().status, Some(RunStatus::Interrupted));

    let later = frames(&h, SEED + 1, 2, 0.05);
    let mut writer = TrajectoryWriter::resume(&path, &h, 3).unwrap();
    assert_eq!(writer.frames(), 3);
    for f in &later {
        writer.write_frame(&f.frame()).unwrap();
    }
    assert_eq!(writer.frames(), 5);
    writer.finish(RunStatus::Complete, &[]).unwrap();

    let expected: Vec<SyntheticFrame> = first[..3].iter().chain(&later).cloned().collect();
    let file = hdf5::File::open(&path).unwrap();
    assert_frames(&file, &h, &expected);
    assert!(info(&path).unwrap().is_complete());
}

#[test]
fn resume_with_other_header_or_too_many_frames_is_input_error() {
    let _guard = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.h5");
    let h = header(2);
    let fr = frames(&h, SEED, 2, 0.1);
    write_trajectory(&path, &h, &fr)
        .finish(RunStatus::Interrupted, &[])
        .unwrap();
    let check = |other: &nanokmc::output::TrajectoryHeader, frames: u64, word: &str| {
        let err = TrajectoryWriter::resume(&path, other, frames).unwrap_err();
        assert!(err.is_input_error(), "{err}");
        assert!(err.to_string().contains(word), "{err}");
    };
    check(&h, 3, "holds 2 frames");
    check(
        &nanokmc::output::TrajectoryHeader {
            seed: 8,
            ..h.clone()
        },
        1,
        "seed",
    );
    check(
        &nanokmc::output::TrajectoryHeader {
            replica: 0,
            ..h.clone()
        },
        1,
        "replica",
    );
    check(
        &nanokmc::output::TrajectoryHeader {
            scenario_text: "other".into(),
            ..h.clone()
        },
        1,
        "scenario",
    );
    let mut moved = h.clone();
    moved.positions[3][0] += 0.1;
    check(&moved, 1, "sites_hash");
    check(&header(3), 1, "n_sites");
    // The file is untouched by the failed attempts.
    assert_eq!(info(&path).unwrap().frames, 2);
}

/// Child half of the killed-writer tests: when started by them (environment variables set),
/// writes `NANOKMC_KILLED_WRITER_FRAMES` frames, reports, and waits to be killed.
#[test]
fn killed_writer_child_helper() {
    let _guard = serial();
    let Ok(path) = std::env::var("NANOKMC_KILLED_WRITER_PATH") else {
        return;
    };
    let count: usize = std::env::var("NANOKMC_KILLED_WRITER_FRAMES")
        .unwrap()
        .parse()
        .unwrap();
    let h = header(3);
    let fr = frames(&h, SEED, 5, 0.05);
    let mut writer = TrajectoryWriter::create(Path::new(&path), &h, false).unwrap();
    for f in &fr[..count] {
        writer.write_frame(&f.frame()).unwrap();
    }
    println!("NANOKMC_FRAMES_WRITTEN {count}");
    std::thread::sleep(std::time::Duration::from_secs(120));
    drop(writer);
}

/// Starts the child writer, waits until it wrote `count` frames, checks a live read, and
/// kills it with SIGKILL.
fn write_and_kill(path: &Path, count: usize) {
    let mut child = ChildGuard(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "killed_writer_child_helper",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("NANOKMC_KILLED_WRITER_PATH", path)
            .env("NANOKMC_KILLED_WRITER_FRAMES", count.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let marker = format!("NANOKMC_FRAMES_WRITTEN {count}");
    let ready = lines.any(|l| l.is_ok_and(|l| l.contains(&marker)));
    assert!(ready, "child did not report its frames");

    if count > 0 {
        // Read while the writer is alive (SWMR).
        let live = info(path).unwrap();
        assert_eq!(live.frames, count as u64);
        assert!(live.left_open);
        assert_eq!(live.status, Some(RunStatus::Running));
    } else {
        // Before its first frame the writer is not in SWMR mode and holds the file lock.
        let err = info(path).unwrap_err();
        assert!(err.to_string().contains("first frame"), "{err}");
    }
    child.0.kill().unwrap(); // SIGKILL
    child.0.wait().unwrap();
}

/// Kills the child writer if the test fails before it does.
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn killed_writer_file_is_readable_and_resumable() {
    let _guard = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("killed.h5");
    write_and_kill(&path, 3);

    let dead = info(&path).unwrap();
    assert_eq!(dead.frames, 3);
    assert!(dead.left_open);
    assert!(dead.to_string().contains("killed"), "{dead}");
    let exported = export(&path, ExportFormat::Xyz, &FrameSelection::All, None).unwrap();
    assert!(exported[0].exists());

    let h = header(3);
    let fr = frames(&h, SEED, 5, 0.05);
    let mut writer = TrajectoryWriter::resume(&path, &h, 3).unwrap();
    for f in &fr[3..] {
        writer.write_frame(&f.frame()).unwrap();
    }
    writer.finish(RunStatus::Complete, &[]).unwrap();
    let after = info(&path).unwrap();
    assert_eq!(after.frames, 5);
    assert!(after.is_complete());
    assert!(!after.left_open);
    assert_frames(&hdf5::File::open(&path).unwrap(), &h, &fr);
}

#[test]
fn killed_writer_before_first_frame_is_readable_and_resumable() {
    let _guard = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("killed0.h5");
    write_and_kill(&path, 0);
    let dead = info(&path).unwrap();
    assert_eq!(dead.frames, 0);
    assert!(dead.left_open);
    let h = header(3);
    let fr = frames(&h, SEED, 2, 0.05);
    let mut writer = TrajectoryWriter::resume(&path, &h, 0).unwrap();
    for f in &fr {
        writer.write_frame(&f.frame()).unwrap();
    }
    writer.finish(RunStatus::Complete, &[]).unwrap();
    assert_eq!(info(&path).unwrap().frames, 2);
    assert_frames(&hdf5::File::open(&path).unwrap(), &h, &fr);
}

#[test]
fn info_foreign_files_are_clear_errors() {
    let _guard = serial();
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.h5");
    std::fs::write(&text, "this is not HDF5\n").unwrap();
    let err = info(&text).unwrap_err();
    assert!(err.is_input_error(), "{err}");
    assert!(err.to_string().contains("not an HDF5 file"), "{err}");

    let empty = dir.path().join("empty.h5");
    std::fs::write(&empty, "").unwrap();
    assert!(info(&empty).unwrap_err().is_input_error());

    let foreign = dir.path().join("foreign.h5");
    {
        let file = hdf5::File::create(&foreign).unwrap();
        file.new_dataset::<f64>().shape(3).create("data").unwrap();
    }
    let err = info(&foreign).unwrap_err();
    assert!(err.is_input_error(), "{err}");
    assert!(
        err.to_string().contains("not a nanokmc trajectory"),
        "{err}"
    );
    let err = export(&foreign, ExportFormat::Xyz, &FrameSelection::All, None).unwrap_err();
    assert!(err.is_input_error(), "{err}");
    let err = TrajectoryWriter::resume(&foreign, &header(2), 0).unwrap_err();
    assert!(err.is_input_error(), "{err}");

    // A truncated trajectory: a valid signature, then nothing usable.
    let good = dir.path().join("good.h5");
    write_trajectory(&good, &header(2), &frames(&header(2), SEED, 2, 0.1))
        .finish(RunStatus::Complete, &[])
        .unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.path().join("truncated.h5");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    assert!(info(&truncated).is_err());

    let missing = dir.path().join("missing.h5");
    assert!(matches!(info(&missing).unwrap_err(), Error::Io { .. }));
}

#[test]
fn export_xyz_small_system_parses_back() {
    let _guard = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.h5");
    let h = header(3);
    let fr = frames(&h, SEED, 4, 0.2);
    write_trajectory(&path, &h, &fr)
        .finish(RunStatus::Complete, &[])
        .unwrap();
    let written = export(
        &path,
        ExportFormat::Xyz,
        &FrameSelection::parse("1:4:2").unwrap(),
        None,
    )
    .unwrap();
    assert_eq!(written, vec![dir.path().join("run.xyz")]);
    let text = std::fs::read_to_string(&written[0]).unwrap();
    let mut lines = text.lines();
    for &f in &[1usize, 3] {
        let atoms: usize = lines.next().unwrap().parse().unwrap();
        let expected = fr[f].species.iter().filter(|&&s| s != 0).count();
        assert_eq!(atoms, expected);
        let comment = lines.next().unwrap();
        for key in [
            "Lattice=\"12.6",
            "Properties=species:S:1:pos:R:3:domain:I:1:kind:I:1",
            "pbc=\"T T F\"",
            "BoxOrigin=\"-1.00000000 -2.00000000 -3.00000000\"",
            &format!("Step={}", fr[f].step),
            &format!("Time={:e}", fr[f].time),
        ] {
            assert!(comment.contains(key), "{key} missing in {comment}");
        }
        let mut seen = 0;
        for site in 0..h.site_count() {
            let s = fr[f].species[site];
            if s == 0 {
                continue;
            }
            let cols: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
            assert_eq!(cols.len(), 6);
            assert_eq!(cols[0], h.species_elements[usize::from(s)]);
            // relative to the box origin, so that the atoms sit inside the cell for ASE.
            for axis in 0..3 {
                let x: f64 = cols[1 + axis].parse().unwrap();
                let expected = h.positions[site][axis] - h.box_origin[axis];
                assert!((x - expected).abs() < 1e-5, "{x} vs {expected}");
            }
            assert_eq!(cols[4].parse::<u16>().unwrap(), h.site_domains[site]);
            assert_eq!(cols[5].parse::<u16>().unwrap(), h.site_kinds[site]);
            seen += 1;
        }
        assert_eq!(seen, expected);
    }
    assert!(lines.next().is_none());
}

#[test]
fn export_xdmf_is_well_formed_and_references_existing_datasets() {
    let _guard = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.h5");
    let h = header(2);
    let fr = frames(&h, SEED, 3, 0.1);
    write_trajectory(&path, &h, &fr)
        .finish(RunStatus::Complete, &[])
        .unwrap();
    let written = export(&path, ExportFormat::Xdmf, &FrameSelection::All, None).unwrap();
    let text = std::fs::read_to_string(&written[0]).unwrap();
    // Tags balance (a minimal well-formedness check; the Python test parses it with ElementTree).
    let mut stack: Vec<String> = Vec::new();
    for piece in text.split('<').skip(1) {
        let tag = piece.split('>').next().unwrap();
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        let name = tag
            .trim_start_matches('/')
            .split([' ', '/'])
            .next()
            .unwrap()
            .to_string();
        if tag.starts_with('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.as_str()),
                "unbalanced </{name}>"
            );
        } else if !tag.ends_with('/') {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
    assert_eq!(text.matches("<Time Value=").count(), 3);
    // every reference is a plain dataset of the companion beside the sidecar (no hyperslab,
    // which ParaView's Xdmf3 readers do not read), and each frame's species are its own.
    assert_eq!(written.len(), 2);
    assert_eq!(written[1], dir.path().join("run.xdmf.h5"));
    assert!(!text.contains("HyperSlab"));
    let companion = hdf5::File::open(&written[1]).unwrap();
    let mut referenced = 0;
    for piece in text.split("Format=\"HDF\">").skip(1) {
        let reference = piece.split('<').next().unwrap();
        let (name, dataset) = reference.split_once(':').unwrap();
        assert_eq!(name, "run.xdmf.h5");
        assert!(companion.link_exists(dataset), "{dataset} missing");
        referenced += 1;
    }
    assert_eq!(referenced, 3 * 4);
    for (k, frame) in fr.iter().enumerate() {
        let species: Vec<u8> = companion
            .dataset(&format!("species/frame_{k:06}"))
            .unwrap()
            .read_raw()
            .unwrap();
        assert_eq!(species, frame.species, "frame {k}");
    }
}

#[test]
fn frame_selection_parse_accepts_cli_forms_and_rejects_junk() {
    let _guard = serial();
    use FrameSelection::{All, Last, List, Range};
    assert_eq!(FrameSelection::parse("all").unwrap(), All);
    assert_eq!(FrameSelection::parse(":").unwrap(), All);
    assert_eq!(FrameSelection::parse("-1").unwrap(), Last);
    assert_eq!(FrameSelection::parse("5").unwrap(), List(vec![5]));
    assert_eq!(FrameSelection::parse("1,4,9").unwrap(), List(vec![1, 4, 9]));
    assert_eq!(
        FrameSelection::parse("0:10:2").unwrap(),
        Range {
            start: 0,
            end: Some(10),
            stride: 2
        }
    );
    assert_eq!(
        FrameSelection::parse("3:").unwrap(),
        Range {
            start: 3,
            end: None,
            stride: 1
        }
    );
    assert_eq!(
        FrameSelection::parse("::5").unwrap(),
        Range {
            start: 0,
            end: None,
            stride: 5
        }
    );
    assert_eq!(FrameSelection::parse("0,last").unwrap(), List(vec![0, -1]));
    assert_eq!(FrameSelection::parse("-2").unwrap(), List(vec![-2]));
    for junk in ["x", "1:2:0", "5:2", "1:2:3:4", "1,,2", "0,lats"] {
        let err = FrameSelection::parse(junk).unwrap_err();
        assert!(
            err.is_input_error() && err.to_string().contains("invalid frame selection"),
            "{junk}: {err}"
        );
    }
    let p = Path::new("x.h5");
    assert_eq!(
        FrameSelection::parse("0:10:3")
            .unwrap()
            .resolve(8, p)
            .unwrap(),
        vec![0, 3, 6]
    );
    assert_eq!(Last.resolve(8, p).unwrap(), vec![7]);
    assert!(List(vec![8]).resolve(8, p).unwrap_err().is_input_error());
    assert_eq!(List(vec![0, -1, -3]).resolve(8, p).unwrap(), vec![0, 7, 5]);
    assert!(List(vec![-9]).resolve(8, p).unwrap_err().is_input_error());
    assert!(All.resolve(0, p).unwrap_err().is_input_error());
}

/// Bytes per frame at 10⁶ sites (63³ fcc cells × 4 = 1 000 188 sites, 1 % vacancies, two
/// species at random, the worst case for compression): the growth of the file between
/// frame 1 and frame 3, stated bound 4 MB per frame.
#[test]
fn writer_million_sites_costs_at_most_4_mb_per_frame() {
    let _guard = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.h5");
    let h = header(63);
    let fr = frames(&h, SEED, 3, 0.01);
    let mut writer = TrajectoryWriter::create(&path, &h, false).unwrap();
    writer.write_frame(&fr[0].frame()).unwrap();
    let size_1 = std::fs::metadata(&path).unwrap().len();
    writer.write_frame(&fr[1].frame()).unwrap();
    writer.write_frame(&fr[2].frame()).unwrap();
    let size_3 = std::fs::metadata(&path).unwrap().len();
    writer.finish(RunStatus::Complete, &[]).unwrap();
    let per_frame = (size_3 - size_1) / 2;
    let file = hdf5::File::open(&path).unwrap();
    let storage = |p: &str| file.dataset(p).unwrap().storage_size() / 3;
    println!(
        "bytes per frame at {} sites: {per_frame} (position {} , species {})",
        h.site_count(),
        storage("particles/trajectory/position/value"),
        storage("particles/trajectory/species/value")
    );
    assert!(per_frame <= 4_000_000, "{per_frame} bytes per frame");
}

/// A child process started while a trajectory is open must not inherit its descriptor (and
/// HDF5's `flock`, which HDF5 does not release before closing): the writer finishes and the
/// file opens for reading while the child still runs. Without close-on-exec both fail with
/// "unable to lock file" (checked by disabling `output::descriptor::close_on_exec`).
#[test]
fn child_process_started_during_a_write_does_not_hold_the_lock() {
    let _guard = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.h5");
    let h = header(2);
    // before the first frame the file is not yet in SWMR mode: HDF5 holds its lock
    let writer = TrajectoryWriter::create(&path, &h, false).unwrap();
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let finished = writer.finish(RunStatus::Complete, &[]);
    let opened = nanokmc::output::info(&path);
    child.kill().unwrap();
    child.wait().unwrap();
    finished.unwrap();
    assert_eq!(opened.unwrap().frames, 0);
}
