//! The reconciliation check: does the stored data agree with itself? Run beside the live
//! service (it reads one snapshot and writes only repairs, each a change of its own).

use std::time::Duration;

use inventory_domain::{MovementReference, ReferenceKind, UserId};
use inventory_ports::{ConsistencyFacts, InventoryError, PairDrift, RequestContext};

use crate::Ports;
use crate::reservations::Reservations;

/// One thing the check found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// A stable code: `RESERVED_DRIFT`, `MOVEMENT_DRIFT`, `OVERDUE_RESERVATION`, `SEQ_GAP`,
    /// `BROKEN_ROW`.
    pub code: &'static str,
    /// What it is about (`<product_id>:<store_id>`, a reservation id, a seq range).
    pub subject: String,
    /// What was found, for a person.
    pub detail: String,
    /// Whether `--repair` can fix it safely.
    pub repairable: bool,
}

/// What a check found; empty when all is well.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Every finding, grouped by code.
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// Nothing found.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// What a repair run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairReport {
    /// What the check found before repairing.
    pub before: CheckReport,
    /// What was repaired.
    pub repaired: Vec<Finding>,
    /// What the check finds after the repairs.
    pub after: CheckReport,
}

/// Checks and repairs stored data.
#[derive(Clone)]
pub struct Reconciliation {
    ports: Ports,
    reservations: Reservations,
}

impl Reconciliation {
    /// How late the expiry worker may be before a due reservation counts as a finding.
    pub const DEFAULT_MAX_LAG: Duration = Duration::from_secs(60);

    pub(crate) fn new(ports: Ports, reservations: Reservations) -> Self {
        Self {
            ports,
            reservations,
        }
    }

    /// Checks, on one snapshot: reserved equals the units pending reservations hold, for
    /// every pair; quantity and reserved equal the sum of the pair's movements; no
    /// reservation is still pending more than `max_lag` past its expiry; the outbox's seq has
    /// no hole; no row breaks the schema's rules.
    ///
    /// # Errors
    /// Storage failures only.
    pub fn check(&self, max_lag: Duration) -> Result<CheckReport, InventoryError> {
        let overdue_before = self.ports.clock.now() - max_lag;
        let facts = self.ports.query(move |tx| tx.consistency(overdue_before))?;
        Ok(report(&facts))
    }

    /// Checks, then repairs what can be repaired safely: a pair's reserved units set to what
    /// its pending reservations hold (`stock.updated` with a `repair` change, and its
    /// movement), and overdue reservations expired. Each repair is a change of its own,
    /// re-checked inside it, so a repair never undoes what the live service did meanwhile.
    /// Everything else is reported for a person to look at.
    ///
    /// # Errors
    /// Storage failures; a repair the rules refuse (left for a person).
    pub fn repair(
        &self,
        max_lag: Duration,
        by: Option<UserId>,
        context: &RequestContext,
    ) -> Result<RepairReport, InventoryError> {
        let before = self.check(max_lag)?;
        let run = MovementReference {
            kind: ReferenceKind::Check,
            id: self.ports.ids.new_id(),
        };
        let mut repaired = Vec::new();
        for finding in before
            .findings
            .iter()
            .filter(|f| f.code == "RESERVED_DRIFT")
        {
            let Some((product, store)) = finding.subject.split_once(':') else {
                continue;
            };
            let product_id = inventory_domain::ProductId::parse(product)?;
            let store_id = inventory_domain::StoreId::parse(store)?;
            let by = by.clone();
            let fixed = self.ports.change(context, move |change| {
                let Some(mut stock) = change.read().stock(product_id, &store_id)? else {
                    return Ok(false);
                };
                let held = change.read().pending_units(product_id, &store_id)?;
                let held = u32::try_from(held).unwrap_or(u32::MAX);
                if held == stock.reserved() {
                    return Ok(false);
                }
                change.refer_to(run);
                let event = stock.repair_reserved(held, by.clone(), change.now())?;
                change.record(event)?;
                Ok(true)
            })?;
            if fixed {
                repaired.push(finding.clone());
            }
        }
        if before
            .findings
            .iter()
            .any(|f| f.code == "OVERDUE_RESERVATION")
        {
            let now = self.ports.clock.now();
            self.reservations
                .expire_due(now, Reservations::MAX_EXPIRY_BATCH)?;
            repaired.extend(
                before
                    .findings
                    .iter()
                    .filter(|f| f.code == "OVERDUE_RESERVATION")
                    .cloned(),
            );
        }
        let after = self.check(max_lag)?;
        Ok(RepairReport {
            before,
            repaired,
            after,
        })
    }
}

fn pair(drift: &PairDrift) -> String {
    format!("{}:{}", drift.product_id, drift.store_id)
}

fn report(facts: &ConsistencyFacts) -> CheckReport {
    let mut findings = Vec::new();
    for drift in &facts.reserved_drift {
        findings.push(Finding {
            code: "RESERVED_DRIFT",
            subject: pair(drift),
            detail: format!(
                "reserved is {} but pending reservations hold {}",
                drift.reserved, drift.expected_reserved
            ),
            repairable: drift.expected_reserved <= drift.quantity,
        });
    }
    for drift in &facts.movement_drift {
        findings.push(Finding {
            code: "MOVEMENT_DRIFT",
            subject: pair(drift),
            detail: format!(
                "stored quantity {} and reserved {}, but the movements add up to {} and {}",
                drift.quantity, drift.reserved, drift.expected_quantity, drift.expected_reserved
            ),
            repairable: false,
        });
    }
    for id in &facts.overdue {
        findings.push(Finding {
            code: "OVERDUE_RESERVATION",
            subject: id.to_string(),
            detail: "still pending past its expiry by more than the allowed lag".into(),
            repairable: true,
        });
    }
    for gap in &facts.seq_gaps {
        findings.push(Finding {
            code: "SEQ_GAP",
            subject: format!("{}..{}", gap.after, gap.next),
            detail: format!(
                "the outbox jumps from seq {} to {}: {} event(s) missing",
                gap.after,
                gap.next,
                gap.next - gap.after - 1
            ),
            repairable: false,
        });
    }
    for row in &facts.broken_rows {
        findings.push(Finding {
            code: "BROKEN_ROW",
            subject: row.clone(),
            detail: "breaks a rule of the schema".into(),
            repairable: false,
        });
    }
    CheckReport { findings }
}
