//! The fault suite: the real `inventory` binary under crashes, power cuts, broker outages,
//! storage faults, cut database connections and clock jumps, each scenario in a loop driven by
//! a seeded random generator (the seed is printed; `--seed` replays it), with the invariants
//! checked after every fault:
//!
//! - every acknowledged change is there, and nothing beyond the requests in flight;
//! - `0 <= reserved <= quantity`, and `reserved` is what the pending reservations hold;
//! - the event log has no gap or duplicate, each reservation exactly one creation event;
//! - the Redis stream holds every event once, in order, with the outbox's event ids;
//! - `inventory check` finds nothing.
//!
//! Short form (CI, part of `cargo test --workspace`): `cargo test -p inventory-app --test
//! faults`. Long form, by hand: `cargo test --release -p inventory-app --test faults --
//! --long` (or `FAULTS_LONG=1`). One scenario: append its name; replay: `--seed N`.
//!
//! A plain binary (`harness = false`) so each scenario prints its one-line result and the
//! suite its `N passed, N failed` line; it answers cargo-nextest's `--list` too.

mod checks;
mod client;
mod clock;
mod kill9;
mod ledger;
mod postgres;
mod process;
mod redis_outage;
mod rng;
mod shim;
mod storage;
mod workload;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;
use std::time::Instant;

/// What a scenario reports: its counts in one line, and the invariant violations it found.
pub struct Outcome {
    /// `cycles=10 operations=4123 acknowledged=4080 faults=10`: what it did.
    pub counts: String,
    /// Every invariant violation, described.
    pub violations: Vec<String>,
    /// Why it could not run here, when it could not.
    pub skipped: Option<String>,
}

impl Outcome {
    /// A scenario this machine cannot run, and why.
    pub fn skipped(why: impl Into<String>) -> Self {
        Self {
            counts: String::new(),
            violations: Vec::new(),
            skipped: Some(why.into()),
        }
    }
}

/// How long and hard to run.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// The long form, run by hand; CI runs the short one.
    pub long: bool,
    /// The scenario's own seed.
    pub seed: u64,
}

impl Profile {
    /// `short` in CI, `long` by hand.
    pub fn pick<T>(&self, short: T, long: T) -> T {
        if self.long { long } else { short }
    }
}

type Scenario = fn(Profile, &process::Workspace) -> Outcome;

const SCENARIOS: [(&str, Scenario); 5] = [
    ("kill9", kill9::run),
    ("redis_outage", redis_outage::run),
    ("storage", storage::run),
    ("postgres", postgres::run),
    ("clock", clock::run),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // cargo-nextest asks a test binary for its tests (`--list --format terse`), then runs
    // each by name; the suite answers as libtest would.
    if args.iter().any(|arg| arg == "--list") {
        if !args.iter().any(|arg| arg == "--ignored") {
            for (name, _) in SCENARIOS {
                println!("{name}: test");
            }
        }
        return ExitCode::SUCCESS;
    }
    let long = args.iter().any(|arg| arg == "--long")
        || std::env::var("FAULTS_LONG").is_ok_and(|v| v == "1");
    let seed = option(&args, "--seed")
        .or_else(|| std::env::var("FAULTS_SEED").ok())
        .map(|text| text.parse::<u64>().expect("--seed takes a number"))
        .unwrap_or_else(rng::seed_from_time);
    let chosen: Vec<&str> = positional(&args);
    let workspace = process::Workspace::new();
    // A scenario's panic is reported in its result line; no backtrace in between.
    std::panic::set_hook(Box::new(|_| {}));

    println!(
        "fault suite: {} form, seed {seed} (replay: cargo test -p inventory-app --test faults -- --seed {seed}{})",
        if long { "long" } else { "short" },
        if long { " --long" } else { "" }
    );
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for (name, scenario) in SCENARIOS {
        if !chosen.is_empty() && !chosen.contains(&name) {
            continue;
        }
        let profile = Profile {
            long,
            seed: rng::mix(seed, name),
        };
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| scenario(profile, &workspace)))
            .unwrap_or_else(|panic| Outcome {
                counts: String::new(),
                violations: vec![format!("the scenario stopped: {}", panic_message(&panic))],
                skipped: None,
            });
        let mut violations = outcome.violations;
        violations.extend(workspace.leftovers());
        let took = started.elapsed().as_secs_f64();
        if let Some(why) = outcome.skipped {
            skipped += 1;
            println!("{name:<13} SKIPPED  {why}");
        } else if violations.is_empty() {
            passed += 1;
            println!(
                "{name:<13} ok       {} violations=0 seed={} ({took:.1} s)",
                outcome.counts, profile.seed
            );
        } else {
            failed += 1;
            println!(
                "{name:<13} FAILED   {} violations={} seed={} ({took:.1} s)",
                outcome.counts,
                violations.len(),
                profile.seed
            );
            for violation in violations.iter().take(20) {
                println!("    - {violation}");
            }
        }
    }
    drop(workspace);
    println!("fault suite: {passed} passed, {failed} failed, {skipped} skipped (seed {seed})");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn option(args: &[String], name: &str) -> Option<String> {
    let at = args.iter().position(|arg| arg == name)?;
    args.get(at + 1).cloned()
}

/// Scenario names given on the command line (libtest's flags, which cargo and nextest pass,
/// are ignored).
fn positional(args: &[String]) -> Vec<&str> {
    let mut names = Vec::new();
    let mut skip_next = false;
    for arg in args {
        if skip_next {
            skip_next = false;
            continue;
        }
        match arg.as_str() {
            "--seed" | "--format" | "--test-threads" | "--color" => skip_next = true,
            flag if flag.starts_with('-') => {}
            name => names.push(name),
        }
    }
    names
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}
