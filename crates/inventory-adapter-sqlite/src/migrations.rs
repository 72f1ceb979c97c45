//! Schema migrations: the SQL files of the workspace's top-level `migrations/` folder, embedded
//! in the binary and applied in order when a database is opened.
//!
//! The schema version is `PRAGMA user_version`. Each migration runs in its own
//! `BEGIN IMMEDIATE` transaction that also bumps the version, so a crash leaves the database
//! at a whole version, and two processes opening the same new file cannot both apply one.

use rusqlite::{Connection, TransactionBehavior};

use crate::OpenError;

/// One migration: its version and SQL.
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, in order. Versions are consecutive from 1.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_initial_schema",
        sql: include_str!("../../../migrations/sqlite/0001_initial_schema.sql"),
    },
    Migration {
        version: 2,
        name: "0002_seed_stores",
        sql: include_str!("../../../migrations/sqlite/0002_seed_stores.sql"),
    },
    Migration {
        version: 3,
        name: "0003_versioned_events",
        sql: include_str!("../../../migrations/sqlite/0003_versioned_events.sql"),
    },
    Migration {
        version: 4,
        name: "0004_events_by_store",
        sql: include_str!("../../../migrations/sqlite/0004_events_by_store.sql"),
    },
    Migration {
        version: 5,
        name: "0005_pending_holds_by_customer",
        sql: include_str!("../../../migrations/sqlite/0005_pending_holds_by_customer.sql"),
    },
    Migration {
        version: 6,
        name: "0006_idempotency_keys",
        sql: include_str!("../../../migrations/sqlite/0006_idempotency_keys.sql"),
    },
    Migration {
        version: 7,
        name: "0007_carts",
        sql: include_str!("../../../migrations/sqlite/0007_carts.sql"),
    },
    Migration {
        version: 8,
        name: "0008_transfers",
        sql: include_str!("../../../migrations/sqlite/0008_transfers.sql"),
    },
    Migration {
        version: 9,
        name: "0009_movements_and_thresholds",
        sql: include_str!("../../../migrations/sqlite/0009_movements_and_thresholds.sql"),
    },
    Migration {
        version: 10,
        name: "0010_webhooks",
        sql: include_str!("../../../migrations/sqlite/0010_webhooks.sql"),
    },
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`SCHEMA_VERSION`]; returns how many migrations were applied.
///
/// # Errors
/// [`OpenError::SchemaTooNew`] when the database was written by a newer build (it is left
/// untouched); [`OpenError::Sqlite`] when a migration fails (it is rolled back).
pub(crate) fn migrate(conn: &mut Connection) -> Result<usize, OpenError> {
    let mut applied = 0;
    for migration in MIGRATIONS {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Read under the write lock: another process may have migrated in the meantime.
        let current = schema_version(&tx)?;
        if current > SCHEMA_VERSION {
            return Err(OpenError::SchemaTooNew {
                found: current,
                supported: SCHEMA_VERSION,
            });
        }
        if current >= migration.version {
            continue;
        }
        tx.execute_batch(migration.sql)?;
        tx.pragma_update(None, "user_version", migration.version)?;
        tx.commit()?;
        tracing::info!(migration = migration.name, "applied database migration");
        applied += 1;
    }
    let current = schema_version(conn)?;
    if current > SCHEMA_VERSION {
        return Err(OpenError::SchemaTooNew {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(applied)
}

/// The database's schema version.
pub(crate) fn schema_version(conn: &Connection) -> Result<i64, rusqlite::Error> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive_from_one() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, index as i64 + 1, "{}", migration.name);
        }
    }

    #[test]
    fn a_new_database_reaches_the_current_version_and_a_second_run_does_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), MIGRATIONS.len());
        assert_eq!(schema_version(&conn).unwrap(), SCHEMA_VERSION);
        assert_eq!(migrate(&mut conn).unwrap(), 0);
        let stores: i64 = conn
            .query_row("SELECT COUNT(*) FROM stores", [], |row| row.get(0))
            .unwrap();
        assert_eq!(stores, 4, "the seed stores exist once");
    }

    #[test]
    fn a_database_from_a_newer_build_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let error = migrate(&mut conn).unwrap_err();
        assert!(
            matches!(error, OpenError::SchemaTooNew { found, supported }
                if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
            "{error:?}"
        );
        let tables: i64 = conn
            .query_row("SELECT COUNT(*) FROM sqlite_schema", [], |row| row.get(0))
            .unwrap();
        assert_eq!(tables, 0, "nothing was applied");
    }
}
