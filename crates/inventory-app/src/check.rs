//! `inventory check [--json] [--repair]`: the reconciliation check from a shell, through the
//! library's `Inventory::reconciliation`, beside the running service.

use anyhow::anyhow;
use inventory::{CheckReport, Finding, Inventory, RequestContext};
use serde_json::json;

use crate::settings::CheckArgs;
use crate::token::parse_ttl;

/// Runs the check (and the repairs, with `--repair`) and prints the report; `Ok(true)` when
/// nothing is left to report.
///
/// # Errors
/// A bad `--max-lag`, or the database failing.
pub fn run(inventory: &Inventory, args: &CheckArgs) -> anyhow::Result<bool> {
    let max_lag = parse_ttl(&args.max_lag).map_err(|error| anyhow!("--max-lag: {error}"))?;
    let reconciliation = inventory.reconciliation();
    if args.repair {
        let context = RequestContext::with_request_id("cli").acting_as("system:check");
        let report = reconciliation.repair(max_lag, None, &context)?;
        if args.json {
            println!(
                "{}",
                json!({
                    "found": findings_json(&report.before),
                    "repaired": report.repaired.iter().map(finding_json).collect::<Vec<_>>(),
                    "remaining": findings_json(&report.after),
                })
            );
        } else {
            print_table("found", &report.before);
            println!("repaired {} finding(s)", report.repaired.len());
            print_table("remaining", &report.after);
        }
        return Ok(report.after.is_clean());
    }
    let report = reconciliation.check(max_lag)?;
    if args.json {
        println!("{}", json!({ "findings": findings_json(&report) }));
    } else {
        print_table("found", &report);
    }
    Ok(report.is_clean())
}

fn finding_json(finding: &Finding) -> serde_json::Value {
    json!({
        "code": finding.code,
        "subject": finding.subject,
        "detail": finding.detail,
        "repairable": finding.repairable,
    })
}

fn findings_json(report: &CheckReport) -> Vec<serde_json::Value> {
    report.findings.iter().map(finding_json).collect()
}

fn print_table(title: &str, report: &CheckReport) {
    if report.is_clean() {
        println!("{title}: nothing, the data agrees with itself");
        return;
    }
    println!("{title}: {} finding(s)", report.findings.len());
    println!(
        "{:<20} {:<50} {:<10} DETAIL",
        "CODE", "SUBJECT", "REPAIRABLE"
    );
    for finding in &report.findings {
        println!(
            "{:<20} {:<50} {:<10} {}",
            finding.code,
            finding.subject,
            if finding.repairable { "yes" } else { "no" },
            finding.detail
        );
    }
}
