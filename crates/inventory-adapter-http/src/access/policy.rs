//! Every access decision of the API. Handlers say what they are about to do ([`Action`]) and
//! ask [`authorize`]; lists are narrowed by [`scope_reservations`] and [`event_visible`].
//! Nothing else in the adapter decides who may do what.
//!
//! | action | admin | vendor | customer |
//! |---|---|---|---|
//! | manage the catalogue (products, stores) | yes | no | no |
//! | read a store's stock | yes | its store | no (reads availability, which is public) |
//! | change a store's stock | yes | its store | no |
//! | record a stock change on behalf of someone else | yes | no | no |
//! | import stock in bulk | any store | rows of its store (others refused row by row) | no |
//! | reserve | yes | in its store, for anyone | for itself, anywhere |
//! | see, confirm or cancel a reservation | yes | of its store | its own |
//! | list reservations | all | its store's | its own |
//! | replay the event log | all | its store's and the catalogue's (`next_after_seq` too) | no |
//! | manage webhooks (register, list, remove, deliveries, replay) | yes | no | no |
//!
//! Reads of stores, products and availability, the live stream, health and metrics need no
//! token at all.

use inventory_domain::{CustomerId, StoreId};
use inventory_ports::ReservationFilter;

use crate::ApiError;
use crate::access::Caller;

/// What a handler is about to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// Create, update or delete products and stores.
    ManageCatalogue,
    /// Read a store's stock records.
    ReadStock {
        /// The store.
        store: &'a StoreId,
    },
    /// Change a store's stock: a delta or a count.
    ChangeStock {
        /// The store.
        store: &'a StoreId,
    },
    /// Hold units for a customer in a store.
    Reserve {
        /// For whom.
        customer: &'a CustomerId,
        /// Where.
        store: &'a StoreId,
    },
    /// See, confirm or cancel a reservation.
    HandleReservation {
        /// Its customer.
        customer: &'a CustomerId,
        /// Its store.
        store: &'a StoreId,
    },
    /// Replay the event log.
    ReadEventLog,
    /// Record a stock change on behalf of another user (kept apart from who made it).
    ActOnBehalfOf,
    /// Register, read, remove and replay webhook endpoints: they receive every event they
    /// name, whatever the store, so admins only.
    ManageWebhooks,
}

/// The store a bulk stock import is confined to: none for an admin, a vendor's own store
/// (its rows for other stores are refused one by one).
///
/// # Errors
/// [`ApiError::Forbidden`] for a customer.
pub fn import_scope(caller: &Caller) -> Result<Option<StoreId>, ApiError> {
    match caller {
        Caller::Admin { .. } => Ok(None),
        Caller::Vendor { store, .. } => Ok(Some(store.clone())),
        Caller::Customer { .. } => Err(ApiError::forbidden("customers may not change stock")),
    }
}

/// Whether `caller` may do `action`.
///
/// # Errors
/// [`ApiError::Forbidden`] with a sentence saying why not.
pub fn authorize(caller: &Caller, action: Action<'_>) -> Result<(), ApiError> {
    let refusal = match (caller, action) {
        (Caller::Admin { .. }, _) => None,
        (Caller::Vendor { .. }, Action::ManageCatalogue)
        | (Caller::Customer { .. }, Action::ManageCatalogue) => Some("only an admin may do this"),
        (Caller::Vendor { .. } | Caller::Customer { .. }, Action::ManageWebhooks) => {
            Some("only an admin may manage webhooks")
        }
        (Caller::Vendor { .. }, Action::ReadEventLog) => None,
        (Caller::Customer { .. }, Action::ReadStock { .. } | Action::ReadEventLog) => {
            Some("only store staff may do this")
        }
        (
            Caller::Vendor { store: own, .. },
            Action::ReadStock { store }
            | Action::ChangeStock { store }
            | Action::Reserve { store, .. }
            | Action::HandleReservation { store, .. },
        ) => (own != store).then_some("a vendor may only act on its own store"),
        (Caller::Vendor { .. } | Caller::Customer { .. }, Action::ActOnBehalfOf) => {
            Some("only an admin may record a change on behalf of someone else (user_id)")
        }
        (Caller::Customer { .. }, Action::ChangeStock { .. }) => {
            Some("customers may not change stock")
        }
        (Caller::Customer { id }, Action::Reserve { customer, .. }) => {
            (id != customer).then_some("a customer may only reserve for itself")
        }
        (Caller::Customer { id }, Action::HandleReservation { customer, .. }) => {
            (id != customer).then_some("this reservation belongs to another customer")
        }
    };
    match refusal {
        None => Ok(()),
        Some(reason) => Err(ApiError::forbidden(reason)),
    }
}

/// The reservations `caller` may list with `filter`: a vendor's are always its store's, a
/// customer's always its own.
///
/// # Errors
/// [`ApiError::Forbidden`] when the filter asks for another store's or customer's.
pub fn scope_reservations(
    caller: &Caller,
    mut filter: ReservationFilter,
) -> Result<ReservationFilter, ApiError> {
    match caller {
        Caller::Admin { .. } => {}
        Caller::Vendor { store, .. } => {
            if filter.store_id.as_ref().is_some_and(|asked| asked != store) {
                return Err(ApiError::forbidden(
                    "a vendor sees only its own store's reservations",
                ));
            }
            filter.store_id = Some(store.clone());
        }
        Caller::Customer { id } => {
            if filter.customer_id.as_ref().is_some_and(|asked| asked != id) {
                return Err(ApiError::forbidden(
                    "a customer sees only its own reservations",
                ));
            }
            filter.customer_id = Some(id.clone());
        }
    }
    Ok(filter)
}

/// Whether `caller` may see an event of the log concerning `store` (`None`: the catalogue's,
/// which concern every store). Events of other stores carry their customers' ids.
pub fn event_visible(caller: &Caller, store: Option<&str>) -> bool {
    match caller {
        Caller::Admin { .. } => true,
        Caller::Vendor { store: own, .. } => store.is_none_or(|store| store == own.as_str()),
        Caller::Customer { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(code: &str) -> StoreId {
        StoreId::parse(code).unwrap()
    }

    fn customer(id: &str) -> CustomerId {
        CustomerId::parse(id).unwrap()
    }

    /// Every action's name. Exhaustive on purpose: a new action does not compile here until it
    /// has a name, and the table test below fails until the table has rows for that name.
    fn name(action: Action<'_>) -> &'static str {
        match action {
            Action::ManageCatalogue => "ManageCatalogue",
            Action::ReadStock { .. } => "ReadStock",
            Action::ChangeStock { .. } => "ChangeStock",
            Action::Reserve { .. } => "Reserve",
            Action::HandleReservation { .. } => "HandleReservation",
            Action::ReadEventLog => "ReadEventLog",
            Action::ActOnBehalfOf => "ActOnBehalfOf",
            Action::ManageWebhooks => "ManageWebhooks",
        }
    }

    const EVERY_ACTION: [&str; 8] = [
        "ActOnBehalfOf",
        "ManageWebhooks",
        "ManageCatalogue",
        "ReadStock",
        "ChangeStock",
        "Reserve",
        "HandleReservation",
        "ReadEventLog",
    ];

    /// Every role, every action, on its own and on another's store or customer.
    #[test]
    fn the_policy_table() {
        let admin = Caller::Admin {
            subject: "ops".into(),
        };
        let vendor = Caller::Vendor {
            subject: "vendor-789".into(),
            store: store("MAD-001"),
        };
        let me = Caller::Customer {
            id: customer("cust-1"),
        };
        let (own_store, other_store) = (store("MAD-001"), store("BCN-001"));
        let (own_customer, other_customer) = (customer("cust-1"), customer("cust-2"));
        // (action, description, admin, vendor of MAD-001, customer cust-1)
        let table: Vec<(Action<'_>, &str, bool, bool, bool)> = vec![
            (
                Action::ManageCatalogue,
                "manage the catalogue",
                true,
                false,
                false,
            ),
            (
                Action::ReadStock { store: &own_store },
                "read own store's stock",
                true,
                true,
                false,
            ),
            (
                Action::ReadStock {
                    store: &other_store,
                },
                "read another store's stock",
                true,
                false,
                false,
            ),
            (
                Action::ChangeStock { store: &own_store },
                "change own store's stock",
                true,
                true,
                false,
            ),
            (
                Action::ChangeStock {
                    store: &other_store,
                },
                "change another store's stock",
                true,
                false,
                false,
            ),
            (
                Action::Reserve {
                    customer: &own_customer,
                    store: &own_store,
                },
                "reserve for self in own store",
                true,
                true,
                true,
            ),
            (
                Action::Reserve {
                    customer: &own_customer,
                    store: &other_store,
                },
                "reserve for self in another store",
                true,
                false,
                true,
            ),
            (
                Action::Reserve {
                    customer: &other_customer,
                    store: &own_store,
                },
                "reserve for another in own store",
                true,
                true,
                false,
            ),
            (
                Action::Reserve {
                    customer: &other_customer,
                    store: &other_store,
                },
                "reserve for another in another store",
                true,
                false,
                false,
            ),
            (
                Action::HandleReservation {
                    customer: &own_customer,
                    store: &own_store,
                },
                "handle own reservation in own store",
                true,
                true,
                true,
            ),
            (
                Action::HandleReservation {
                    customer: &own_customer,
                    store: &other_store,
                },
                "handle own reservation in another store",
                true,
                false,
                true,
            ),
            (
                Action::HandleReservation {
                    customer: &other_customer,
                    store: &own_store,
                },
                "handle another's reservation in own store",
                true,
                true,
                false,
            ),
            (
                Action::HandleReservation {
                    customer: &other_customer,
                    store: &other_store,
                },
                "handle another's reservation in another store",
                true,
                false,
                false,
            ),
            (
                Action::ReadEventLog,
                "replay the event log",
                true,
                true,
                false,
            ),
            (
                Action::ActOnBehalfOf,
                "record a change on behalf of someone else",
                true,
                false,
                false,
            ),
            (
                Action::ManageWebhooks,
                "manage webhooks",
                true,
                false,
                false,
            ),
        ];
        let covered: std::collections::BTreeSet<&str> =
            table.iter().map(|(action, ..)| name(*action)).collect();
        let every: std::collections::BTreeSet<&str> = EVERY_ACTION.into_iter().collect();
        assert_eq!(covered, every, "the table has rows for every action");
        for (action, description, admin_may, vendor_may, customer_may) in table {
            for (caller, expected) in [
                (&admin, admin_may),
                (&vendor, vendor_may),
                (&me, customer_may),
            ] {
                let decided = authorize(caller, action);
                assert_eq!(
                    decided.is_ok(),
                    expected,
                    "{:?} may {description}: expected {expected}",
                    caller.role()
                );
                if let Err(error) = decided {
                    assert_eq!(error.code(), "FORBIDDEN");
                }
            }
        }
    }

    #[test]
    fn reservation_lists_are_narrowed_to_what_the_caller_may_see() {
        let vendor = Caller::Vendor {
            subject: "v".into(),
            store: store("MAD-001"),
        };
        let me = Caller::Customer {
            id: customer("cust-1"),
        };
        let admin = Caller::Admin {
            subject: "ops".into(),
        };
        let everything = ReservationFilter::default();
        assert_eq!(
            scope_reservations(&admin, everything.clone()).unwrap(),
            everything
        );
        assert_eq!(
            scope_reservations(&vendor, everything.clone())
                .unwrap()
                .store_id,
            Some(store("MAD-001"))
        );
        assert_eq!(
            scope_reservations(&me, everything.clone())
                .unwrap()
                .customer_id,
            Some(customer("cust-1"))
        );
        let other_store = ReservationFilter {
            store_id: Some(store("BCN-001")),
            ..ReservationFilter::default()
        };
        assert!(scope_reservations(&vendor, other_store.clone()).is_err());
        assert_eq!(
            scope_reservations(&me, other_store.clone())
                .unwrap()
                .store_id,
            Some(store("BCN-001")),
            "a customer's own reservations in any store"
        );
        let other_customer = ReservationFilter {
            customer_id: Some(customer("cust-2")),
            ..ReservationFilter::default()
        };
        assert!(scope_reservations(&me, other_customer.clone()).is_err());
        assert!(scope_reservations(&vendor, other_customer).is_ok());
    }

    #[test]
    fn vendors_see_their_stores_events_and_the_catalogues() {
        let vendor = Caller::Vendor {
            subject: "v".into(),
            store: store("MAD-001"),
        };
        assert!(event_visible(&vendor, Some("MAD-001")));
        assert!(
            event_visible(&vendor, None),
            "catalogue events concern every store"
        );
        assert!(!event_visible(&vendor, Some("BCN-001")));
        let admin = Caller::Admin {
            subject: "ops".into(),
        };
        assert!(event_visible(&admin, Some("BCN-001")));
        let me = Caller::Customer {
            id: customer("cust-1"),
        };
        assert!(!event_visible(&me, None));
    }
}
