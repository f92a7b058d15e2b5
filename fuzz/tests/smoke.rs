//! The fuzz smoke run CI executes: every target over its seeds (the tests' fixtures and, where
//! `$FLUXGEN_SHARED/refs` exists, the reference repositories), every saved crash input in
//! `fuzz/regressions/`, then a fixed number of seeded mutations (`FLUXGEN_FUZZ_SMOKE_RUNS`,
//! 150 by default). A panic is a failure, reported with the input that caused it.

use fluxgen_fuzz::Target;
use fluxgen_fuzz::mutate::{Mutator, Rng};
use fluxgen_fuzz::{on_main_sized_stack, seeds};

fn runs() -> usize {
    std::env::var("FLUXGEN_FUZZ_SMOKE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150)
}

/// Runs `target` over the seeds, the regressions and `runs()` mutations, on a thread with the
/// main thread's stack, as the `fluxgen` binary runs.
fn smoke(target: Target) {
    let result = on_main_sized_stack(move || {
        std::panic::set_hook(Box::new(|_| {}));
        let seeds = target.seeds();
        assert!(!seeds.is_empty(), "{target}: no seeds");
        let check = |label: &str, input: &[u8]| {
            if let Err(payload) = std::panic::catch_unwind(|| target.run(input)) {
                let message = fluxgen_fuzz::panic_message(payload.as_ref());
                let shown = String::from_utf8_lossy(&input[..input.len().min(2000)]).into_owned();
                return Err(format!("{target} {label}: {message}\ninput:\n{shown}"));
            }
            Ok(())
        };
        for (index, seed) in seeds.iter().enumerate() {
            check(&format!("seed {index}"), seed)?;
        }
        for (path, input) in seeds::regressions(target.name()) {
            check(&path.display().to_string(), &input)?;
        }
        let mutator = Mutator::new(target.dictionary());
        let mut rng = Rng::new(0x5eed_f1ec);
        for run in 0..runs() {
            let base = &seeds[rng.below(seeds.len())];
            let input = mutator.mutate(&mut rng, base, &seeds);
            check(&format!("mutation {run}"), &input)?;
        }
        Ok::<(), String>(())
    });
    let _ = std::panic::take_hook();
    match result {
        Ok(Ok(())) => {}
        Ok(Err(failure)) => panic!("{failure}"),
        Err(message) => panic!("{target}: the smoke run itself panicked: {message}"),
    }
}

#[test]
fn config_parsing_survives_its_seeds_and_mutations() {
    smoke(Target::Config);
}

#[test]
fn tuning_composition_survives_its_seeds_and_mutations() {
    smoke(Target::Tuning);
}

#[test]
fn the_scanner_survives_its_seeds_and_mutations() {
    smoke(Target::Scan);
}
