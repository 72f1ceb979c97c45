//! Schema migrations: the SQL files of the workspace's `migrations/postgres/` folder, embedded
//! in the binary and applied in order when a store opens.
//!
//! Applied under a session-level advisory lock, so N instances starting together migrate
//! once: the first applies, the others wait and then find nothing to do. Each migration runs
//! in its own transaction with its row in `schema_migrations`, so a crash leaves the schema at
//! a whole version.

use crate::OpenError;
use crate::session::PgSession;

/// One migration: its version and SQL.
struct Migration {
    version: i32,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, in order. Versions are consecutive from 1.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_initial_schema",
        sql: include_str!("../../../migrations/postgres/0001_initial_schema.sql"),
    },
    Migration {
        version: 2,
        name: "0002_events_by_store",
        sql: include_str!("../../../migrations/postgres/0002_events_by_store.sql"),
    },
    Migration {
        version: 3,
        name: "0003_pending_holds_by_customer",
        sql: include_str!("../../../migrations/postgres/0003_pending_holds_by_customer.sql"),
    },
    Migration {
        version: 4,
        name: "0004_idempotency_keys",
        sql: include_str!("../../../migrations/postgres/0004_idempotency_keys.sql"),
    },
    Migration {
        version: 5,
        name: "0005_carts",
        sql: include_str!("../../../migrations/postgres/0005_carts.sql"),
    },
    Migration {
        version: 6,
        name: "0006_transfers",
        sql: include_str!("../../../migrations/postgres/0006_transfers.sql"),
    },
    Migration {
        version: 7,
        name: "0007_movements_and_thresholds",
        sql: include_str!("../../../migrations/postgres/0007_movements_and_thresholds.sql"),
    },
    Migration {
        version: 8,
        name: "0008_webhooks",
        sql: include_str!("../../../migrations/postgres/0008_webhooks.sql"),
    },
];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: i32 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// The advisory lock every migrating instance takes (one key for the whole database: schemas
/// are created under it too, and migrations are rare and quick).
const MIGRATION_LOCK: i64 = 0x696e_7665_6e74_6f72; // "inventor"

/// Creates `schema` if given and missing, and applies the migrations it lacks; returns how
/// many it applied.
pub(crate) fn migrate(session: &mut PgSession, schema: Option<&str>) -> Result<usize, OpenError> {
    session.query_one("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let result = migrate_locked(session, schema);
    // Released whatever happened; a connection that broke has released it already.
    let _ = session.query_one("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    result
}

fn migrate_locked(session: &mut PgSession, schema: Option<&str>) -> Result<usize, OpenError> {
    if let Some(schema) = schema {
        // A plain identifier: `PostgresConfig::validate` checked it.
        session.batch(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))?;
    }
    session.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )?;
    let current: i32 = session
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )?
        .get(0);
    if current > SCHEMA_VERSION {
        return Err(OpenError::SchemaTooNew {
            found: i64::from(current),
            supported: i64::from(SCHEMA_VERSION),
        });
    }
    let mut applied = 0;
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        session.batch("BEGIN")?;
        let outcome = session.batch(migration.sql).and_then(|()| {
            session.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                &[&migration.version, &migration.name],
            )
        });
        match outcome {
            Ok(_) => session.batch("COMMIT")?,
            Err(error) => {
                let _ = session.batch("ROLLBACK");
                return Err(error.into());
            }
        }
        tracing::info!(migration = migration.name, "applied a database migration");
        applied += 1;
    }
    Ok(applied)
}
