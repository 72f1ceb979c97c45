//! `inventory import FILE`: a stock import from the command line, through the same use case
//! as `POST /stock/import` (`Inventory::imports`). The file is streamed, never loaded: an
//! all-or-nothing import reads it twice (validation, then the change that applies it), and
//! only refused rows are kept for the report (the first [`LISTED_FAILURES`]).
//!
//! A progress bar on stderr follows the bytes read (hidden when stderr is not a terminal);
//! a summary table follows on stdout. The default idempotency key is the SHA-256 of the
//! file, so running the same file twice replays the first report instead of applying the
//! rows twice.

use std::any::Any;
use std::fs::File;
use std::io::{BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use inventory::{
    ChangedBy, Idempotency, IdempotencyKey, ImportFormat, ImportMode, ImportReport, ImportSource,
    Inventory, InventoryError, Listing, ProductImport, RequestContext, RowOutcome, StockImport,
    UserId,
};
use sha2::{Digest, Sha256};

use crate::settings::{ImportArgs, ImportFileFormat, ImportModeArg};

/// The most refused rows printed; the rest are counted.
pub const LISTED_FAILURES: usize = 1_000;

/// The idempotency scope of keys used from the command line (the API scopes its keys by
/// caller, so the two never meet).
const KEY_SCOPE: &str = "cli";

/// What the command tells its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Rows refused.
    pub invalid: u64,
    /// True when rows were refused: the process exits non-zero.
    pub rows_refused: bool,
}

/// Runs `inventory import`.
///
/// # Errors
/// A file that cannot be read (a bad CSV header too), a storage failure, or an import the
/// change refused (the stock moved between validation and application: nothing applied).
pub fn run(inventory: &Inventory, args: &ImportArgs) -> anyhow::Result<ImportOutcome> {
    let format = format_of(args)?;
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?
        .len();
    let progress = progress_bar(size);
    let started = Instant::now();
    progress.set_message("hashing");
    let file_hash = sha256_of(&args.file, &progress)?;
    let mode = match args.mode {
        ImportModeArg::All => ImportMode::AllOrNothing,
        ImportModeArg::PerRow => ImportMode::PerRow,
    };
    let key_text = args
        .idempotency_key
        .clone()
        .unwrap_or_else(|| file_hash.clone());
    let context = RequestContext {
        request_id: Some("cli-import".to_owned()),
        // A dry run stores nothing, so it needs no key (and must not trip over a real run's).
        idempotency: (!args.dry_run)
            .then(|| keyed(&key_text, &file_hash, args))
            .transpose()?,
        actor: Some("cli:import".to_owned()),
    };
    let command = StockImport {
        mode,
        dry_run: args.dry_run,
        by: ChangedBy {
            user_id: Some(UserId::parse(&args.by)?),
            on_behalf_of: None,
        },
        only_store: None,
        listing: Listing::failures(LISTED_FAILURES),
    };
    let source = file_source(&args.file, format, &progress, passes(args));
    let result = if args.products {
        let command = ProductImport {
            format,
            mode,
            dry_run: args.dry_run,
            listing: command.listing,
        };
        inventory
            .product_imports()
            .import(source.open, command, &context)
    } else {
        inventory.imports().import(source, command, &context)
    };
    progress.finish_and_clear();
    let elapsed = started.elapsed();
    let report = match result {
        Ok(report) => report,
        Err(InventoryError::Replayed(stored)) => {
            println!(
                "this file was already imported under idempotency key {key_text}: nothing was \
                 applied again; the first import's report follows"
            );
            serde_json::from_slice(&stored.body)
                .context("the stored report of the first import cannot be read")?
        }
        Err(InventoryError::IdempotencyKeyReused) => anyhow::bail!(
            "idempotency key {key_text} was already used for another file or other options"
        ),
        Err(error) => return Err(error).context("the import failed; nothing was applied"),
    };
    print_summary(&report, args, elapsed);
    Ok(ImportOutcome {
        invalid: report.invalid,
        rows_refused: report.invalid > 0,
    })
}

/// The format the flag names, or the file's extension says.
fn format_of(args: &ImportArgs) -> anyhow::Result<ImportFormat> {
    if let Some(format) = args.format {
        return Ok(match format {
            ImportFileFormat::Csv => ImportFormat::Csv,
            ImportFileFormat::Jsonl => ImportFormat::JsonLines,
        });
    }
    let extension = args
        .file
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("csv") => Ok(ImportFormat::Csv),
        Some("jsonl" | "ndjson") => Ok(ImportFormat::JsonLines),
        _ => anyhow::bail!(
            "cannot tell the format of {} from its extension: pass --format csv or --format jsonl",
            args.file.display()
        ),
    }
}

/// The passes over the file, for the progress bar's message.
fn passes(args: &ImportArgs) -> &'static [&'static str] {
    match (args.dry_run, args.mode) {
        (true, _) => &["validating"],
        (false, ImportModeArg::All) => &["validating", "applying"],
        (false, ImportModeArg::PerRow) => &["applying"],
    }
}

/// The request's key and fingerprint: a re-run of the same file with the same options
/// replays; the same key over another file or other options is refused.
fn keyed(key: &str, file_hash: &str, args: &ImportArgs) -> anyhow::Result<Idempotency> {
    let what = if args.products { "product" } else { "stock" };
    let options = format!("{what} import {:?} {file_hash}", args.mode);
    Ok(Idempotency {
        key: IdempotencyKey::new(KEY_SCOPE, key)?,
        fingerprint: hex(&Sha256::digest(options.as_bytes())),
        render: Arc::new(|value: &dyn Any| {
            let report = value.downcast_ref::<ImportReport>()?;
            serde_json::to_vec(report).ok().map(|body| (200, body))
        }),
    })
}

/// Opens the file from its start for each pass, counting its bytes on the progress bar.
fn file_source(
    path: &Path,
    format: ImportFormat,
    progress: &ProgressBar,
    passes: &'static [&'static str],
) -> ImportSource {
    let path: PathBuf = path.to_owned();
    let progress = progress.clone();
    let opened = AtomicU32::new(0);
    ImportSource {
        format,
        open: Arc::new(move || {
            let pass = opened.fetch_add(1, Ordering::Relaxed) as usize;
            progress.set_position(0);
            progress.set_message(passes.get(pass).copied().unwrap_or("applying"));
            let file = File::open(&path).map_err(|error| {
                InventoryError::Invalid(inventory::ValidationError::new(
                    "file",
                    format!("cannot be opened: {error}"),
                ))
            })?;
            Ok(Box::new(BufReader::with_capacity(
                256 * 1024,
                Counted {
                    inner: file,
                    progress: progress.clone(),
                },
            )))
        }),
    }
}

/// A reader that moves the progress bar by the bytes it reads.
struct Counted<R> {
    inner: R,
    progress: ProgressBar,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.progress.inc(read as u64);
        Ok(read)
    }
}

/// A bar over the file's bytes on stderr, hidden when stderr is not a terminal (a log file
/// gets no escape codes).
fn progress_bar(size: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(size);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg:>10} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// The file's SHA-256, read once (a pass of its own: the key is needed before the import).
fn sha256_of(path: &Path, progress: &ProgressBar) -> anyhow::Result<String> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = Counted {
        inner: file,
        progress: progress.clone(),
    };
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 256 * 1024];
    loop {
        let read = reader
            .read(&mut buffer)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if read == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&buffer[..read]);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The summary table, then the refused rows.
fn print_summary(report: &ImportReport, args: &ImportArgs, elapsed: Duration) {
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        report.rows as f64 / seconds
    } else {
        0.0
    };
    let what = if report.dry_run {
        "dry run: nothing written"
    } else if report.applied == 0 && report.invalid > 0 {
        "nothing applied: rows are invalid"
    } else {
        "applied"
    };
    println!("import {} ({what})", report.import_id);
    println!("  {:<12} {}", "file", args.file.display());
    println!("  {:<12} {}", "rows", report.rows);
    println!("  {:<12} {}", "applied", report.applied);
    if report.dry_run {
        println!("  {:<12} {}", "valid", report.valid);
    }
    println!("  {:<12} {}", "invalid", report.invalid);
    println!("  {:<12} {}", "not applied", report.not_applied);
    println!("  {:<12} {:.0}", "rows/s", rate);
    println!("  {:<12} {:.3} s", "elapsed", seconds);
    if let Some(peak) = peak_memory_kib() {
        println!("  {:<12} {:.1} MiB", "peak memory", peak as f64 / 1024.0);
    }
    for result in &report.results {
        if result.outcome == RowOutcome::Invalid {
            println!(
                "line {}: {} {}",
                result.line,
                result.code.as_deref().unwrap_or("INVALID"),
                result.message.as_deref().unwrap_or_default()
            );
        }
    }
    if report.results_omitted > 0 {
        println!("... and {} more invalid rows", report.results_omitted);
    }
}

/// The process's peak resident memory (`VmHWM`), where `/proc` tells it.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}
