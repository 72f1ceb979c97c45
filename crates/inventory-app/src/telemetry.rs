//! Logging: `tracing` to stderr, human-readable or JSON.

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::settings::LogFormat;

/// Installs the global subscriber. Safe to call twice (the second call does nothing), so
/// tests that start several servers in one process can call it freely.
pub fn init(format: LogFormat, filter: &str) {
    let targets: Targets = filter.parse().unwrap_or_else(|error| {
        eprintln!("invalid log filter {filter:?} ({error}); using `info`");
        Targets::new().with_default(tracing::Level::INFO)
    });
    let registry = tracing_subscriber::registry().with(targets);
    let result = match format {
        LogFormat::Human => registry
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
    drop(result);
}
