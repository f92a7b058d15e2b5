//! `fluxgen-fuzz`: runs one fuzz target for a while, or replays inputs.
//!
//! ```text
//! fluxgen-fuzz run TARGET [--seconds N] [--iterations N] [--seed N] [--corpus DIR] [--artifacts DIR] [--timeout S]
//! fluxgen-fuzz replay TARGET FILE...
//! ```
//!
//! `run` mutates the seeds and the corpus, keeps inputs with a new outcome in `--corpus`,
//! saves each input that panics (or runs longer than `--timeout` seconds) to `--artifacts`,
//! and exits 1 when it found any. Before each input runs it is written to
//! `<artifacts>/.current`, so a crash that kills the process (a stack overflow, an abort) can
//! be kept by the caller (`fuzz/run.sh` does).

use std::collections::HashSet;
use std::fs::{self, File};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fluxgen_fuzz::mutate::{Mutator, Rng};
use fluxgen_fuzz::{Target, panic_message};

struct Options {
    target: Target,
    seconds: u64,
    iterations: u64,
    seed: u64,
    corpus: Option<PathBuf>,
    artifacts: PathBuf,
    timeout: u64,
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: fluxgen-fuzz run TARGET [--seconds N] [--iterations N] [--seed N] [--corpus DIR] [--artifacts DIR] [--timeout S]\n       fluxgen-fuzz replay TARGET FILE...\nTARGET: config, tuning or scan"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(command), Some(target)) = (args.first(), args.get(1)) else {
        return usage();
    };
    let target: Target = match target.parse() {
        Ok(target) => target,
        Err(message) => {
            eprintln!("{message}");
            return usage();
        }
    };
    match command.as_str() {
        "replay" => replay(target, &args[2..]),
        "run" => match options(target, &args[2..]) {
            Ok(options) => run(&options),
            Err(message) => {
                eprintln!("{message}");
                usage()
            }
        },
        _ => usage(),
    }
}

fn options(target: Target, args: &[String]) -> Result<Options, String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut options = Options {
        target,
        seconds: 60,
        iterations: u64::MAX,
        seed: now,
        corpus: None,
        artifacts: Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("artifacts")
            .join(target.name()),
        timeout: 20,
    };
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<u64>().map_err(|e| format!("{flag} {value}: {e}"));
        match flag.as_str() {
            "--seconds" => options.seconds = number()?,
            "--iterations" => options.iterations = number()?,
            "--seed" => options.seed = number()?,
            "--timeout" => options.timeout = number()?,
            "--corpus" => options.corpus = Some(PathBuf::from(value)),
            "--artifacts" => options.artifacts = PathBuf::from(value),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(options)
}

fn replay(target: Target, files: &[String]) -> ExitCode {
    let mut failed = false;
    for file in files {
        let data = match fs::read(file) {
            Ok(data) => data,
            Err(e) => {
                eprintln!("{file}: {e}");
                return ExitCode::from(2);
            }
        };
        let started = Instant::now();
        match panic::catch_unwind(|| target.run(&data)) {
            Ok(_) => eprintln!("{file}: ok in {:?}", started.elapsed()),
            Err(payload) => {
                failed = true;
                eprintln!("{file}: PANIC: {}", panic_message(payload.as_ref()));
            }
        }
    }
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn hash(data: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    data.hash(&mut hasher);
    hasher.finish()
}

/// The most inputs kept in memory.
const MAX_CORPUS: usize = 20_000;

/// Where the panic hook leaves the last panic's location and message.
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

fn run(options: &Options) -> ExitCode {
    let target = options.target;
    fs::create_dir_all(&options.artifacts).expect("create the artifacts directory");
    let mut corpus: Vec<Vec<u8>> = target.seeds();
    let seeds = corpus.len();
    if let Some(dir) = &options.corpus {
        fs::create_dir_all(dir).expect("create the corpus directory");
        let mut saved: Vec<PathBuf> = fs::read_dir(dir)
            .expect("read the corpus directory")
            .flatten()
            .map(|e| e.path())
            .collect();
        saved.sort();
        corpus.extend(saved.iter().filter_map(|p| fs::read(p).ok()));
    }
    if corpus.is_empty() {
        corpus.push(Vec::new());
    }
    let mutator = Mutator::new(target.dictionary());
    let mut rng = Rng::new(options.seed);
    panic::set_hook(Box::new(|info| {
        let location = info.location().map(|l| l.to_string()).unwrap_or_default();
        let message = panic_message(info.payload());
        *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = format!("{location}: {message}");
    }));

    let current_path = options.artifacts.join(".current");
    let current = Arc::new(Mutex::new(Vec::<u8>::new()));
    let started_at = Arc::new(AtomicU64::new(0));
    let epoch = Instant::now();
    watchdog(options, Arc::clone(&current), Arc::clone(&started_at), epoch);

    eprintln!(
        "fuzzing {target} for {}s (seed {}), {} seeds, {} corpus inputs",
        options.seconds,
        options.seed,
        seeds,
        corpus.len()
    );
    let deadline = epoch + Duration::from_secs(options.seconds);
    let mut outcomes: HashSet<u64> = HashSet::new();
    let mut crashes: HashSet<String> = HashSet::new();
    let mut iterations: u64 = 0;
    let mut last_report = Instant::now();
    // Every seed once, as it is, then mutations.
    let mut queue: Vec<Vec<u8>> = corpus.iter().rev().cloned().collect();
    while Instant::now() < deadline && iterations < options.iterations {
        let input = queue.pop().unwrap_or_else(|| {
            let base = &corpus[rng.below(corpus.len())];
            mutator.mutate(&mut rng, base, &corpus)
        });
        iterations += 1;
        let _ = File::create(&current_path).and_then(|mut f| std::io::Write::write_all(&mut f, &input));
        *current.lock().unwrap_or_else(|e| e.into_inner()) = input.clone();
        started_at.store(epoch.elapsed().as_millis() as u64 + 1, Ordering::SeqCst);
        let result = panic::catch_unwind(AssertUnwindSafe(|| target.run(&input)));
        started_at.store(0, Ordering::SeqCst);
        match result {
            Ok(outcome) => {
                if outcomes.insert(outcome) && input.len() <= 256 << 10 {
                    if let Some(dir) = &options.corpus {
                        let _ = fs::write(dir.join(format!("{:016x}", hash(&input))), &input);
                    }
                    if corpus.len() < MAX_CORPUS.max(seeds + 1) {
                        corpus.push(input);
                    } else {
                        // Full: a new outcome replaces a mutant (never a seed).
                        let index = seeds + rng.below(corpus.len() - seeds);
                        corpus[index] = input;
                    }
                }
            }
            Err(_) => {
                let message = LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let file = options.artifacts.join(format!("crash-{:016x}", hash(&input)));
                let _ = fs::write(&file, &input);
                if crashes.insert(message.clone()) {
                    eprintln!(
                        "CRASH ({} bytes) saved to {}:\n  {message}",
                        input.len(),
                        file.display()
                    );
                }
            }
        }
        if last_report.elapsed() > Duration::from_secs(30) {
            last_report = Instant::now();
            eprintln!(
                "  {:>5}s  {iterations} runs  {:.0}/s  corpus {}  outcomes {}  crashes {}",
                epoch.elapsed().as_secs(),
                iterations as f64 / epoch.elapsed().as_secs_f64(),
                corpus.len(),
                outcomes.len(),
                crashes.len()
            );
        }
    }
    let _ = fs::remove_file(&current_path);
    let elapsed = epoch.elapsed().as_secs_f64();
    println!(
        "target={target} seconds={elapsed:.0} runs={iterations} runs_per_second={:.0} corpus={} outcomes={} distinct_crashes={}",
        iterations as f64 / elapsed,
        corpus.len(),
        outcomes.len(),
        crashes.len()
    );
    for crash in &crashes {
        println!("crash: {crash}");
    }
    if crashes.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Saves an input that runs longer than the timeout as `timeout-<hash>` and ends the process.
fn watchdog(options: &Options, current: Arc<Mutex<Vec<u8>>>, started_at: Arc<AtomicU64>, epoch: Instant) {
    let timeout_ms = options.timeout * 1000;
    let artifacts = options.artifacts.clone();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(250));
            let started = started_at.load(Ordering::SeqCst);
            if started == 0 {
                continue;
            }
            let now = epoch.elapsed().as_millis() as u64;
            if now.saturating_sub(started) > timeout_ms {
                let input = current.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let file = artifacts.join(format!("timeout-{:016x}", hash(&input)));
                let _ = fs::write(&file, &input);
                eprintln!(
                    "TIMEOUT: an input ran over {}s; saved to {}",
                    timeout_ms / 1000,
                    file.display()
                );
                std::process::exit(3);
            }
        }
    });
}
