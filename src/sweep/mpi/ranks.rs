//! The distribution of a sweep's runs over MPI ranks (feature `mpi`; the protocol is in the
//! parent module's documentation).
//!
//! Messages (all from the main thread of each rank: MPI is initialised with
//! `MPI_THREAD_FUNNELED`, the runs go on other threads and never call MPI):
//! - `REQUEST` (rank k → 0, empty): rank k has a free thread;
//! - `WORK` (0 → k): the run to do, as TOML (`WorkMessage`), or empty when there is none
//!   left (or the sweep is stopping);
//! - `RESULT` (k → 0): the run's outcome and manifest entry at its end, as TOML
//!   (`ResultMessage`).
//!
//! No rank waits in a busy loop: rank 0 and the other ranks poll for messages with
//! `MPI_Iprobe` and sleep a few milliseconds between polls, so that a rank's runs keep the
//! cores (Open MPI's blocking receives spin).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ::mpi::Threading;
use ::mpi::collective::SystemOperation;
use ::mpi::environment::Universe;
use ::mpi::point_to_point::MatchedReceiveVec;
use ::mpi::topology::SimpleCommunicator;
use ::mpi::traits::{Communicator, CommunicatorCollectives, Destination, Root, Source};
use serde::{Deserialize, Serialize};

use super::super::execute::{
    Action, Watchdog, not_run, one_run, prepare_runs, record_end, report_line, run_and_record,
    selection,
};
use super::super::manifest::{self, RunEntry, Status};
use super::super::plan::SweepPlan;
use super::super::{RunOutcome, SweepOptions, SweepReport};
use crate::error::{Error, Result};
use crate::run;

const TAG_REQUEST: i32 = 1;
const TAG_WORK: i32 = 2;
const TAG_RESULT: i32 = 3;

/// Sleep between two polls for a message [ms].
const POLL: Duration = Duration::from_millis(2);

/// This process's part of the MPI job: MPI initialised, finalised on drop.
pub struct Ranks {
    // dropped last: MPI_Finalize.
    _universe: Universe,
    world: SimpleCommunicator,
    rank: usize,
    size: usize,
}

impl std::fmt::Debug for Ranks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ranks {{ rank: {}, size: {} }}", self.rank, self.size)
    }
}

impl Ranks {
    /// Initialises MPI (`MPI_THREAD_FUNNELED`: only the main thread calls MPI).
    ///
    /// # Errors
    /// [`Error::Build`] when MPI was initialised already or gives only single-threaded
    /// processes.
    pub fn initialize() -> Result<Self> {
        let (universe, provided) = ::mpi::initialize_with_threading(Threading::Funneled)
            .ok_or_else(|| Error::build("MPI", "MPI was initialised already"))?;
        if provided == Threading::Single {
            return Err(Error::build(
                "MPI",
                "the MPI library gives single-threaded processes only (MPI_THREAD_SINGLE); \
                 a sweep rank needs MPI_THREAD_FUNNELED (its runs go on threads that never call MPI)",
            ));
        }
        let world = universe.world();
        let (rank, size) = (world.rank(), world.size());
        Ok(Self {
            _universe: universe,
            world,
            rank: usize::try_from(rank).unwrap_or(0),
            size: usize::try_from(size).unwrap_or(1),
        })
    }

    /// This process's rank (0: the one that hands out runs and writes the manifest).
    #[must_use]
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// Number of ranks.
    #[must_use]
    pub fn size(&self) -> usize {
        self.size
    }

    /// Collective: whether rank 0 is `ok`, and how many ranks are not.
    #[must_use]
    pub fn agree(&self, ok: bool) -> (bool, usize) {
        let mut root_ok = [u8::from(ok)];
        self.world
            .process_at_rank(0)
            .broadcast_into(&mut root_ok[..]);
        let failed = u32::from(!ok);
        let mut failing = 0u32;
        self.world
            .all_reduce_into(&failed, &mut failing, SystemOperation::sum());
        (root_ok[0] == 1, failing as usize)
    }

    /// Collective: rank 0's `code` on every rank (so that every process of the job ends
    /// with the sweep's exit code).
    #[must_use]
    pub fn share(&self, code: u8) -> u8 {
        let mut c = [code];
        self.world.process_at_rank(0).broadcast_into(&mut c[..]);
        c[0]
    }
}

/// A run handed out by rank 0.
#[derive(Debug, Serialize, Deserialize)]
struct WorkMessage {
    /// The run's index in the sweep.
    run: usize,
    /// Continue it from its checkpoint (else start it).
    resume: bool,
    /// Its manifest entry as recorded.
    entry: RunEntry,
}

/// A run's end, sent back to rank 0.
#[derive(Debug, Serialize, Deserialize)]
struct ResultMessage {
    run: usize,
    status: Status,
    skipped: bool,
    seconds: f64,
    events: u64,
    error: Option<String>,
    input_error: bool,
    entry: RunEntry,
}

impl ResultMessage {
    fn new(o: &RunOutcome, entry: RunEntry) -> Self {
        Self {
            run: o.run,
            status: o.status,
            skipped: o.skipped,
            seconds: o.seconds,
            events: o.events,
            error: o.error.as_ref().map(|e| e.0.clone()),
            input_error: o.error.as_ref().is_some_and(|e| e.1),
            entry,
        }
    }

    fn outcome(&self) -> RunOutcome {
        RunOutcome {
            run: self.run,
            status: self.status,
            skipped: self.skipped,
            seconds: self.seconds,
            events: self.events,
            error: self.error.clone().map(|m| (m, self.input_error)),
        }
    }
}

fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>> {
    toml::to_string(message)
        .map(String::into_bytes)
        .map_err(|e| Error::build("MPI message", e.to_string()))
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| Error::build("MPI message", e.to_string()))?;
    toml::from_str(text).map_err(|e| Error::build("MPI message", e.to_string()))
}

/// Runs the selected runs of `plan` on all ranks (collective: every rank calls it with the
/// same plan and options). Rank 0 returns the report of the whole sweep (every selected run,
/// whichever rank ran it); the other ranks return `None`. `options.threads` is per rank
/// (default 1: start one rank per core).
///
/// # Errors
/// On rank 0, as [`super::super::execute`] (the other ranks then return `None` without
/// running anything). A message that cannot be written or read ends the whole job
/// (`MPI_Abort`), since the other ranks would wait for it forever.
pub fn execute(
    ranks: &Ranks,
    plan: &SweepPlan,
    options: &SweepOptions,
) -> Result<Option<SweepReport>> {
    if ranks.rank == 0 {
        lead(ranks, plan, options).map(Some)
    } else {
        follow(ranks, plan, options);
        Ok(None)
    }
}

/// A run waiting to be handed out: its index, what to do, its manifest entry.
type Job = (usize, Action, RunEntry);

/// The next run to do, unless the sweep is stopping.
fn take(queue: &Mutex<VecDeque<Job>>, options: &SweepOptions) -> Option<Job> {
    if options.stop_flag.load(Ordering::Relaxed) {
        return None;
    }
    queue.lock().ok()?.pop_front()
}

/// Rank 0: prepares, runs its share and hands out the rest.
fn lead(ranks: &Ranks, plan: &SweepPlan, options: &SweepOptions) -> Result<SweepReport> {
    let started = Instant::now();
    let prepared = selection(plan, options).and_then(|s| Ok((s, prepare_runs(plan, options)?)));
    let mut go = [u8::from(prepared.is_ok())];
    ranks.world.process_at_rank(0).broadcast_into(&mut go[..]);
    let (selected, actions) = prepared?;
    let total = actions.len();
    let results: Mutex<Vec<Option<RunOutcome>>> = Mutex::new(vec![None; total]);
    let mut queue = VecDeque::new();
    for (i, action, entry) in actions {
        if let Action::Skip(_) = action {
            if let Some(o) = not_run(i, &action, &entry, options)
                && let Ok(mut r) = results.lock()
            {
                r[i - selected.start] = Some(o);
            }
        } else {
            queue.push_back((i, action, entry));
        }
    }
    let queue = Mutex::new(queue);
    let threads = options.threads.unwrap_or(1).max(1);
    let watchdog = Watchdog::start(options, started);
    let done = AtomicUsize::new(results.lock().map_or(0, |r| r.iter().flatten().count()));
    let store = |o: RunOutcome| {
        let d = done.fetch_add(1, Ordering::Relaxed) + 1;
        if options.verbose && !o.skipped {
            report_line(plan, &o, d, total);
        }
        if let Ok(mut r) = results.lock() {
            let k = o.run - selected.start;
            r[k] = Some(o);
        }
    };
    let dispatched = std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some((i, action, mut entry)) = take(&queue, options) {
                    entry.rank = Some(0);
                    store(run_and_record(plan, i, &action, entry, options));
                }
            });
        }
        dispatch(ranks, plan, options, &queue, &store)
    });
    watchdog.finish();
    if let Err(e) = dispatched {
        // the other ranks wait for answers that will not come: end the job.
        eprintln!("error: rank 0: {e}; aborting the MPI job");
        ranks.world.abort(1);
    }
    // what was never handed out (the sweep stopped): not started.
    let left: Vec<Job> = queue
        .lock()
        .map(|mut q| q.drain(..).collect())
        .unwrap_or_default();
    let mut stopped = SweepOptions {
        stop_flag: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true)),
        ..options.clone()
    };
    stopped.verbose = false;
    let mut outcomes = results.into_inner().unwrap_or_default();
    for (i, action, entry) in left {
        outcomes[i - selected.start] = not_run(i, &action, &entry, &stopped);
    }
    Ok(SweepReport {
        outcomes: outcomes.into_iter().flatten().collect(),
        threads,
        ranks: ranks.size,
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}

/// Rank 0's main thread: answers requests and records results until every other rank has
/// been told that no run is left and has sent back all it ran.
fn dispatch(
    ranks: &Ranks,
    plan: &SweepPlan,
    options: &SweepOptions,
    queue: &Mutex<VecDeque<Job>>,
    store: &(dyn Fn(RunOutcome) + Sync),
) -> Result<()> {
    let mut told_none = vec![false; ranks.size];
    let mut outstanding = vec![0usize; ranks.size];
    let mut finished = vec![false; ranks.size];
    let mut left = ranks.size - 1;
    while left > 0 {
        let Some(probed) = ranks.world.any_process().immediate_matched_probe() else {
            std::thread::sleep(POLL);
            continue;
        };
        let (bytes, status) = probed.matched_receive_vec::<u8>();
        let from = usize::try_from(status.source_rank()).unwrap_or(0);
        let rank = ranks.world.process_at_rank(status.source_rank());
        match status.tag() {
            TAG_REQUEST => {
                if let Some((i, action, mut entry)) = take(queue, options) {
                    entry.rank = Some(from);
                    let mut running = entry.clone();
                    running.status = Status::Running;
                    // advisory, as on one machine.
                    let _ = manifest::update(&plan.out, std::slice::from_ref(&running));
                    let work = WorkMessage {
                        run: i,
                        resume: matches!(action, Action::Resume(_)),
                        entry,
                    };
                    rank.send_with_tag(&encode(&work)?[..], TAG_WORK);
                    outstanding[from] += 1;
                } else {
                    rank.send_with_tag(&[0u8; 0][..], TAG_WORK);
                    told_none[from] = true;
                }
            }
            TAG_RESULT => {
                let result: ResultMessage = decode(&bytes)?;
                let mut outcome = result.outcome();
                record_end(plan, &result.entry, &mut outcome);
                store(outcome);
                outstanding[from] = outstanding[from].saturating_sub(1);
            }
            other => {
                return Err(Error::build(
                    "MPI",
                    format!("rank {from} sent a message with unknown tag {other}"),
                ));
            }
        }
        if told_none[from] && outstanding[from] == 0 && !finished[from] {
            finished[from] = true;
            left -= 1;
        }
    }
    Ok(())
}

/// A rank other than 0: asks for runs while it has a free thread, runs them, sends their
/// ends back.
fn follow(ranks: &Ranks, plan: &SweepPlan, options: &SweepOptions) {
    let root = ranks.world.process_at_rank(0);
    let mut go = [0u8];
    root.broadcast_into(&mut go[..]);
    if go[0] == 0 {
        // rank 0 could not prepare the sweep; it reports why.
        return;
    }
    let threads = options.threads.unwrap_or(1).max(1);
    let watchdog = Watchdog::start(options, Instant::now());
    let (sender, finished) = mpsc::channel::<ResultMessage>();
    let followed = std::thread::scope(|scope| -> Result<()> {
        let mut in_flight = 0usize;
        let mut exhausted = false;
        loop {
            while !exhausted && in_flight < threads {
                root.send_with_tag(&[0u8; 0][..], TAG_REQUEST);
                let bytes = loop {
                    if let Some(probed) = root.immediate_matched_probe_with_tag(TAG_WORK) {
                        break probed.matched_receive_vec::<u8>().0;
                    }
                    std::thread::sleep(POLL);
                };
                if bytes.is_empty() {
                    exhausted = true;
                    break;
                }
                let work: WorkMessage = decode(&bytes)?;
                let action = if work.resume {
                    Action::Resume(run::checkpoint_path(&plan.trajectory(work.run)))
                } else {
                    Action::Start
                };
                let sender = sender.clone();
                scope.spawn(move || {
                    let i = work.run;
                    let (outcome, entry) = match not_run(i, &action, &work.entry, options) {
                        Some(o) => (o, work.entry),
                        None => one_run(plan, i, &action, work.entry, options),
                    };
                    let _ = sender.send(ResultMessage::new(&outcome, entry));
                });
                in_flight += 1;
            }
            if in_flight == 0 {
                return Ok(());
            }
            let result = finished
                .recv()
                .map_err(|e| Error::build("MPI", format!("a run's thread ended: {e}")))?;
            in_flight -= 1;
            root.send_with_tag(&encode(&result)?[..], TAG_RESULT);
        }
    });
    watchdog.finish();
    if let Err(e) = followed {
        // rank 0 waits for this rank's results: end the job.
        eprintln!("error: rank {}: {e}; aborting the MPI job", ranks.rank);
        ranks.world.abort(1);
    }
}
