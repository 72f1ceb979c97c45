//! Opening connections with the server's pragmas.

use rusqlite::{Connection, OpenFlags};

use crate::{Location, OpenError, SqliteConfig};

/// Opens the one connection that writes, sets WAL and the durability the config asks for.
pub(crate) fn open_writer(config: &SqliteConfig) -> Result<Connection, OpenError> {
    let conn = match &config.location {
        Location::File(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|source| OpenError::Io {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            let conn = Connection::open(path)?;
            // WAL: readers never block the writer and the writer never blocks readers.
            let mode: String =
                conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(OpenError::Unsupported(format!(
                    "the database refused WAL mode (journal_mode is {mode})"
                )));
            }
            // The checkpointer thread does this, off the commit path.
            conn.pragma_update(None, "wal_autocheckpoint", 0)?;
            // When the log starts over, a file a burst grew past this is trimmed back.
            conn.pragma_update(None, "journal_size_limit", 16 * 1024 * 1024)?;
            conn
        }
        Location::Memory => Connection::open_in_memory()?,
    };
    apply_common_pragmas(&conn, config)?;
    conn.pragma_update(None, "synchronous", config.synchronous.as_pragma())?;
    Ok(conn)
}

/// Settings every connection needs, reader or writer.
pub(crate) fn apply_common_pragmas(
    conn: &Connection,
    config: &SqliteConfig,
) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(config.busy_timeout)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

/// Flags for read connections: no creating, and `query_only` is set after opening.
pub(crate) fn reader_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX
}
