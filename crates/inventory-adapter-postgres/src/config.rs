//! How to reach the database and how to use it.

use std::time::Duration;

/// Settings of a [`crate::PostgresStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresConfig {
    /// `postgres://user:password@host:port/database`.
    pub url: String,
    /// The schema the inventory's tables live in (created if missing); `None`: the user's
    /// default (`public`). Lets several inventories share a database (tests do).
    pub schema: Option<String>,
    /// Read connections in the pool.
    pub read_connections: u32,
    /// The most write requests committed in one transaction (group commit). Keep it at 64 or
    /// below: PostgreSQL tracks 64 subtransactions per backend cheaply, more spill to disk.
    pub max_batch: usize,
    /// Write requests that may wait for the writer before callers block.
    pub queue_capacity: usize,
    /// How long a statement waits for a row lock before the request fails as unavailable
    /// (a lock held that long means something is stuck).
    pub lock_timeout: Duration,
    /// How long connecting may take.
    pub connect_timeout: Duration,
}

impl PostgresConfig {
    /// Defaults for the database at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            schema: None,
            read_connections: 8,
            max_batch: 64,
            queue_capacity: 4096,
            lock_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// The same settings in `schema`.
    #[must_use]
    pub fn in_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// Checks what the database cannot: the schema is a plain identifier (it is written into
    /// statements, so nothing else is accepted).
    ///
    /// # Errors
    /// A sentence saying what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(schema) = &self.schema {
            let plain = !schema.is_empty()
                && schema.len() <= 63
                && schema
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && !schema.starts_with(|c: char| c.is_ascii_digit());
            if !plain {
                return Err(format!(
                    "schema {schema:?} must be lower-case letters, digits and _ (63 at most), \
                     not starting with a digit"
                ));
            }
        }
        if self.max_batch == 0 || self.max_batch > 64 {
            return Err("max_batch must be between 1 and 64".into());
        }
        Ok(())
    }
}
