//! `mpirun -n 2 nanokmc sweep FILE` (cargo feature `mpi`, `docs/cluster.md`): the runs
//! handed out by rank 0 give the same trajectories, bit for bit, as the thread pool; both
//! ranks run runs (the manifest records who ran each); a rank killed with SIGKILL loses no
//! finished run, and the rerun skips them and gives the same files. Without the feature,
//! `nanokmc sweep` started as one of several MPI processes refuses to run (exit code 2,
//! nothing written).
//!
//! `.ci/run` runs this file with `--features mpi` (`cargo test --features mpi --test
//! sweep_mpi`) after `scripts/install-deps.sh --mpi`; the plain `cargo test` runs only the
//! refusal. The sweeps are `tests/data/sweep/temperature.toml` (6 runs of the 864-site
//! block, about 0.3 s each) and `slurm_temperature.toml` (6 runs of about 1.2 s), with the
//! scenarios' seeds, fixed before any result was seen; comparisons are exact.

use std::path::PathBuf;
use std::process::Command;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sweep")
        .join(name)
}

/// Without the feature, a process that an MPI launcher started as one of two refuses.
#[cfg(not(feature = "mpi"))]
#[test]
fn mpi_launch_without_the_feature_is_refused_with_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s");
    for (rank, expected_message) in [("0", true), ("1", false)] {
        let o = Command::new(env!("CARGO_BIN_EXE_nanokmc"))
            .arg("sweep")
            .arg(data("temperature.toml"))
            .arg("--out")
            .arg(&out)
            .env("OMPI_COMM_WORLD_SIZE", "2")
            .env("OMPI_COMM_WORLD_RANK", rank)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "rank {rank}: {stderr}");
        assert_eq!(
            stderr.contains("built without the `mpi` feature"),
            expected_message,
            "rank {rank}: {stderr}"
        );
        assert!(!out.exists());
    }
}

#[cfg(feature = "mpi")]
mod with_mpi {
    use super::*;
    use nanokmc::output::TrajectoryReader;
    use nanokmc::sweep::{self, SweepOptions, manifest};
    use std::path::Path;
    use std::time::{Duration, Instant};

    /// An observable's columns: (name, values as bits).
    type Columns = Vec<(String, Vec<u64>)>;

    /// Per frame the time and the species of every site, and every observable column, all
    /// as bits.
    #[derive(Debug, PartialEq)]
    struct Content {
        times: Vec<u64>,
        species: Vec<Vec<u8>>,
        observables: Vec<(String, Columns)>,
    }

    fn content(path: &Path) -> Content {
        let r = TrajectoryReader::open(path).unwrap();
        let times = r.times().unwrap().into_iter().map(f64::to_bits).collect();
        let species = (0..r.frames()).map(|f| r.species(f).unwrap()).collect();
        let mut names = r.observable_names().unwrap();
        names.sort();
        let observables = names
            .into_iter()
            .map(|n| {
                let s = r.observable(&n).unwrap();
                let columns = s
                    .columns
                    .into_iter()
                    .map(|(c, v)| (c, v.into_iter().map(f64::to_bits).collect()))
                    .collect();
                (n, columns)
            })
            .collect();
        Content {
            times,
            species,
            observables,
        }
    }

    fn trajectories(dir: &Path) -> Vec<PathBuf> {
        let m = manifest::read(dir).unwrap();
        m.runs
            .iter()
            .map(|r| manifest::trajectory(dir, r))
            .collect()
    }

    /// The sweep on the thread pool, in this process.
    fn reference(file: &Path, out: &Path) {
        let plan = sweep::plan(sweep::read(file).unwrap(), Some(out)).unwrap();
        let report = sweep::execute(
            &plan,
            &SweepOptions {
                threads: Some(2),
                ..SweepOptions::default()
            },
        )
        .unwrap();
        assert!(report.all_complete());
    }

    fn mpirun(file: &Path, out: &Path) -> Command {
        let mut c = Command::new("mpirun");
        c.args(["--allow-run-as-root", "--oversubscribe", "-n", "2"])
            .arg(env!("CARGO_BIN_EXE_nanokmc"))
            .arg("sweep")
            .arg(file)
            .args(["--threads", "1", "--out"])
            .arg(out);
        c
    }

    fn assert_same_runs(a: &Path, b: &Path) {
        let (ta, tb) = (trajectories(a), trajectories(b));
        assert_eq!(ta.len(), tb.len());
        for (x, y) in ta.iter().zip(&tb) {
            assert_eq!(
                content(x),
                content(y),
                "{} differs from {}",
                x.display(),
                y.display()
            );
        }
    }

    #[test]
    fn two_ranks_give_the_files_of_the_thread_pool() {
        let tmp = tempfile::tempdir().unwrap();
        let (pool, ranks) = (tmp.path().join("pool"), tmp.path().join("ranks"));
        let file = data("temperature.toml");
        reference(&file, &pool);
        let o = mpirun(&file, &ranks)
            .arg("--merge")
            .output()
            .expect("mpirun (Open MPI) on the PATH");
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{stdout}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(stdout.contains("on 2 MPI ranks × 1 thread(s)"), "{stdout}");
        assert!(stdout.contains("6 complete"), "{stdout}");
        assert_same_runs(&pool, &ranks);
        // both ranks ran runs, and rank 0 merged at the end.
        let m = manifest::read(&ranks).unwrap();
        let by: Vec<Option<usize>> = m.runs.iter().map(|r| r.rank).collect();
        assert!(by.contains(&Some(0)) && by.contains(&Some(1)), "{by:?}");
        assert!(
            m.runs
                .iter()
                .all(|r| r.status == manifest::Status::Complete)
        );
        assert!(ranks.join("merged/p002.h5").exists(), "{stdout}");
        // a rerun under MPI skips every run.
        let o = mpirun(&file, &ranks).output().unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{stdout}");
        assert!(stdout.contains("(6 skipped as already done)"), "{stdout}");
    }

    /// The children of `pid` (from `/proc`).
    fn children(pid: u32) -> Vec<u32> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // `pid (comm) state ppid …`; comm may hold spaces, so read after the last ')'.
            let after = stat.rsplit_once(')').map_or("", |x| x.1);
            if after.split_whitespace().nth(1) == Some(pid.to_string().as_str()) {
                found.push(child);
            }
        }
        found
    }

    /// The process below `pid` (its child or grandchild) that is rank `rank` of the job.
    fn rank_process(pid: u32, rank: usize) -> Option<u32> {
        let mut look = children(pid);
        let mut seen = 0;
        while let Some(p) = look.pop() {
            seen += 1;
            if seen > 64 {
                break;
            }
            if let Ok(env) = std::fs::read(format!("/proc/{p}/environ"))
                && env
                    .split(|&b| b == 0)
                    .any(|v| v == format!("OMPI_COMM_WORLD_RANK={rank}").as_bytes())
            {
                return Some(p);
            }
            look.extend(children(p));
        }
        None
    }

    /// The sweep of `tests/sweep_slurm.rs` (6 runs of about 1.2 s each on a quiet machine, so
    /// that runs are left to do when two are complete).
    #[test]
    fn a_killed_rank_loses_no_finished_run_and_the_rerun_skips_them() {
        let tmp = tempfile::tempdir().unwrap();
        let (pool, ranks) = (tmp.path().join("pool"), tmp.path().join("ranks"));
        let file = data("slurm_temperature.toml");
        reference(&file, &pool);
        let mut child = mpirun(&file, &ranks)
            .arg("--quiet")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // wait until two runs are complete (the manifest says so), then kill rank 1.
        let started = Instant::now();
        let complete = loop {
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "no two runs complete in 5 minutes"
            );
            assert!(
                child.try_wait().unwrap().is_none(),
                "the sweep ended before the kill"
            );
            let done: Vec<String> = manifest::read(&ranks)
                .map(|m| {
                    m.runs
                        .iter()
                        .filter(|r| r.status == manifest::Status::Complete)
                        .map(|r| r.trajectory.clone())
                        .collect()
                })
                .unwrap_or_default();
            if done.len() >= 2 {
                break done;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let victim = rank_process(child.id(), 1).expect("rank 1 among mpirun's processes");
        // SAFETY: signalling a process of our own job.
        unsafe {
            libc::kill(i32::try_from(victim).unwrap(), libc::SIGKILL);
        }
        let status = child.wait().unwrap();
        assert_ne!(status.code(), Some(0), "the job went on after a rank died");
        let modified = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
        let before: Vec<_> = complete.iter().map(|t| modified(&ranks.join(t))).collect();
        // the rerun: every run complete, the ones finished before the kill untouched.
        let o = mpirun(&file, &ranks).arg("--quiet").output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let after: Vec<_> = complete.iter().map(|t| modified(&ranks.join(t))).collect();
        assert_eq!(
            before, after,
            "a run finished before the kill was run again"
        );
        assert_same_runs(&pool, &ranks);
    }
}
