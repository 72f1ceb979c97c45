//! The benchmark's output: a markdown table on stdout and the same figures as JSON.

use std::path::Path;

use hdrhistogram::Histogram;
use serde::Serialize;

/// One scenario's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `1`, `2`, `5a`...
    pub id: String,
    /// What was measured.
    pub scenario: String,
    /// Operations per second, where it applies.
    pub per_second: Option<f64>,
    /// Latency percentiles in milliseconds, where they apply.
    pub p50_ms: Option<f64>,
    /// 99th percentile.
    pub p99_ms: Option<f64>,
    /// 99.9th percentile.
    pub p999_ms: Option<f64>,
    /// Worst case.
    pub max_ms: Option<f64>,
    /// Checks, counts, anything else worth a line.
    pub note: String,
}

impl Row {
    /// A row with throughput and latency from a histogram of microseconds.
    pub fn measured(
        id: &str,
        scenario: &str,
        per_second: Option<f64>,
        latency: &Histogram<u64>,
        note: String,
    ) -> Self {
        let ms = |micros: u64| micros as f64 / 1000.0;
        Self {
            id: id.into(),
            scenario: scenario.into(),
            per_second,
            p50_ms: Some(ms(latency.value_at_quantile(0.50))),
            p99_ms: Some(ms(latency.value_at_quantile(0.99))),
            p999_ms: Some(ms(latency.value_at_quantile(0.999))),
            max_ms: Some(ms(latency.max())),
            note,
        }
    }

    /// A row with only a note (a skipped scenario, resources).
    pub fn note(id: &str, scenario: &str, note: String) -> Self {
        Self {
            id: id.into(),
            scenario: scenario.into(),
            per_second: None,
            p50_ms: None,
            p99_ms: None,
            p999_ms: None,
            max_ms: None,
            note,
        }
    }
}

/// A ratio between two scenarios' throughputs.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    /// `(3) / (2)`.
    pub name: String,
    /// What it tells.
    pub meaning: String,
    /// The value.
    pub value: Option<f64>,
}

/// The whole run.
#[derive(Debug, Serialize)]
pub struct Report {
    /// When it ran (UTC).
    pub ran_at: String,
    /// The machine.
    pub machine: String,
    /// The command line.
    pub command: String,
    /// Seconds per load scenario.
    pub duration_seconds: f64,
    /// Connections per load scenario.
    pub connections: usize,
    /// The scenarios.
    pub rows: Vec<Row>,
    /// The ratios.
    pub ratios: Vec<Ratio>,
}

impl Report {
    /// The throughput of scenario `id`.
    pub fn per_second(&self, id: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.id == id)
            .and_then(|r| r.per_second)
    }

    /// Adds the ratio `numerator / denominator` of throughputs.
    pub fn add_ratio(&mut self, numerator: &str, denominator: &str, meaning: &str) {
        let value = match (self.per_second(numerator), self.per_second(denominator)) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        };
        self.ratios.push(Ratio {
            name: format!("({numerator}) / ({denominator})"),
            meaning: meaning.into(),
            value,
        });
    }

    /// The markdown table.
    pub fn markdown(&self) -> String {
        let number = |v: Option<f64>, decimals: usize| {
            v.map_or_else(|| "–".to_owned(), |v| format!("{v:.decimals$}"))
        };
        let mut out = format!(
            "Machine: {}\nRan: {} · {} connections · {:.0} s per load scenario\n\n",
            self.machine, self.ran_at, self.connections, self.duration_seconds
        );
        out.push_str("| # | scenario | ops/s | p50 ms | p99 ms | p99.9 ms | max ms | notes |\n");
        out.push_str("|---|---|---:|---:|---:|---:|---:|---|\n");
        for row in &self.rows {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                row.id,
                row.scenario,
                number(row.per_second, 0),
                number(row.p50_ms, 2),
                number(row.p99_ms, 2),
                number(row.p999_ms, 2),
                number(row.max_ms, 2),
                row.note
            ));
        }
        out.push_str("\n| ratio | value | meaning |\n|---|---:|---|\n");
        for ratio in &self.ratios {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                ratio.name,
                number(ratio.value, 2),
                ratio.meaning
            ));
        }
        out
    }

    /// Writes `latest.json` and a timestamped copy under `folder`.
    ///
    /// # Errors
    /// When the folder cannot be written.
    pub fn write_json(&self, folder: &Path) -> anyhow::Result<std::path::PathBuf> {
        std::fs::create_dir_all(folder)?;
        let json = serde_json::to_string_pretty(self)?;
        let stamp = self.ran_at.replace([':', '-'], "").replace('T', "-");
        std::fs::write(folder.join(format!("bench-{stamp}.json")), &json)?;
        let latest = folder.join("latest.json");
        std::fs::write(&latest, json)?;
        Ok(latest)
    }
}

/// Now, UTC, to the second (RFC 3339): when a run ran.
pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// A one-line description of this machine.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    format!(
        "{cpus} CPUs ({model}), {memory_gib:.0} GiB RAM, {}",
        std::env::consts::OS
    )
}
