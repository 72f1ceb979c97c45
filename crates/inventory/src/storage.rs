//! Which database an inventory lives in: a SQLite file (the default: nothing to install) or
//! PostgreSQL (several instances on one database), chosen by a URL.

use inventory_adapter_postgres::{PostgresConfig, PostgresStore};
use inventory_adapter_sqlite::{SqliteConfig, SqliteStore};
use inventory_ports::InventoryStore;

use crate::OpenError;

/// Where and how an inventory is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// A SQLite file (or a private in-memory database).
    Sqlite(SqliteConfig),
    /// A PostgreSQL database shared by any number of instances.
    Postgres(PostgresConfig),
}

impl StorageConfig {
    /// The storage a URL names: `postgres://…` or `postgresql://…` for PostgreSQL;
    /// `sqlite://PATH`, `sqlite:PATH` or a plain path for a SQLite file; `sqlite::memory:`
    /// for a private in-memory database.
    ///
    /// # Errors
    /// [`OpenError::Invalid`] for an empty URL or another scheme.
    pub fn from_url(url: &str) -> Result<Self, OpenError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(PostgresConfig::new(url)));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path == ":memory:" {
            return Ok(Self::Sqlite(SqliteConfig::memory()));
        }
        if path.is_empty() || (path.contains("://") && !url.starts_with("sqlite")) {
            return Err(OpenError::Invalid(format!(
                "{url:?} is not a database URL: use postgres://…, sqlite://PATH or a path"
            )));
        }
        Ok(Self::Sqlite(SqliteConfig::file(path)))
    }

    /// Where the data is, for logs: the file, or the PostgreSQL URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(config) => match &config.location {
                inventory_adapter_sqlite::Location::File(path) => path.display().to_string(),
                inventory_adapter_sqlite::Location::Memory => "memory".into(),
            },
            Self::Postgres(config) => match &config.schema {
                Some(schema) => format!("{} (schema {schema})", redact(&config.url)),
                None => redact(&config.url),
            },
        }
    }

    /// Opens the store (creating and migrating the database when needed).
    pub(crate) fn open(&self) -> Result<std::sync::Arc<dyn InventoryStore>, OpenError> {
        Ok(match self {
            Self::Sqlite(config) => std::sync::Arc::new(SqliteStore::open(config)?),
            Self::Postgres(config) => std::sync::Arc::new(PostgresStore::open(config)?),
        })
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl From<SqliteConfig> for StorageConfig {
    fn from(config: SqliteConfig) -> Self {
        Self::Sqlite(config)
    }
}

impl From<PostgresConfig> for StorageConfig {
    fn from(config: PostgresConfig) -> Self {
        Self::Postgres(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_names_its_storage() {
        assert!(matches!(
            StorageConfig::from_url("postgres://u@h:5432/db"),
            Ok(StorageConfig::Postgres(_))
        ));
        assert!(matches!(
            StorageConfig::from_url("postgresql://h/db"),
            Ok(StorageConfig::Postgres(_))
        ));
        for sqlite in ["sqlite://data/inv.db", "sqlite:inv.db", "./inventory.db"] {
            assert!(
                matches!(
                    StorageConfig::from_url(sqlite),
                    Ok(StorageConfig::Sqlite(_))
                ),
                "{sqlite}"
            );
        }
        assert_eq!(
            StorageConfig::from_url("sqlite::memory:").expect("memory"),
            StorageConfig::Sqlite(SqliteConfig::memory())
        );
        assert!(StorageConfig::from_url("mysql://h/db").is_err());
        assert_eq!(
            StorageConfig::from_url("postgres://inv:s3cret@db:5432/inventory")
                .expect("postgres")
                .describe(),
            "postgres://inv:***@db:5432/inventory",
            "no password in logs"
        );
        assert!(StorageConfig::from_url("").is_err());
    }
}
