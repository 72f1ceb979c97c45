//! One connection with the statements it has prepared, so each query is one round trip.

use std::collections::HashMap;
use std::str::FromStr;

use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};

use crate::PostgresConfig;

/// A connection and its prepared statements.
pub(crate) struct PgSession {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl PgSession {
    /// Connects with `config`'s URL, in its schema.
    pub(crate) fn connect(config: &PostgresConfig) -> Result<Self, postgres::Error> {
        let mut settings = postgres::Config::from_str(&config.url)?;
        // An `application_name` in the URL names the instance in `pg_stat_activity` (the
        // fault suite cuts one instance's connections by it).
        if settings.get_application_name().is_none() {
            settings.application_name("inventory");
        }
        settings.connect_timeout(config.connect_timeout);
        if let Some(schema) = &config.schema {
            settings.options(&format!("-c search_path={schema}"));
        }
        Ok(Self {
            client: settings.connect(NoTls)?,
            statements: HashMap::new(),
        })
    }

    /// True once the connection is gone for good.
    pub(crate) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Runs statements without parameters (`BEGIN`, `SAVEPOINT`...), in one round trip.
    pub(crate) fn batch(&mut self, sql: &str) -> Result<(), postgres::Error> {
        self.client.batch_execute(sql)
    }

    fn prepared(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Every row `sql` returns.
    pub(crate) fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, postgres::Error> {
        let statement = self.prepared(sql)?;
        self.client.query(&statement, params)
    }

    /// The row `sql` returns, if any.
    pub(crate) fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, postgres::Error> {
        let statement = self.prepared(sql)?;
        self.client.query_opt(&statement, params)
    }

    /// The one row `sql` returns.
    pub(crate) fn query_one(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, postgres::Error> {
        let statement = self.prepared(sql)?;
        self.client.query_one(&statement, params)
    }

    /// How many rows `sql` changed.
    pub(crate) fn execute(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        let statement = self.prepared(sql)?;
        self.client.execute(&statement, params)
    }
}

/// Hands [`PgSession`]s to the read pool.
pub(crate) struct SessionManager {
    pub(crate) config: PostgresConfig,
}

impl r2d2::ManageConnection for SessionManager {
    type Connection = PgSession;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgSession, postgres::Error> {
        PgSession::connect(&self.config)
    }

    fn is_valid(&self, session: &mut PgSession) -> Result<(), postgres::Error> {
        session.batch("")
    }

    fn has_broken(&self, session: &mut PgSession) -> bool {
        session.is_closed()
    }
}
