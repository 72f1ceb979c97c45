//! `inventory`: serve the API (default), migrate, seed a demo catalogue, mint tokens, check
//! the health of a running server, copy an inventory into another database, and run an
//! operator's transfers, carts and reservation extensions on the database.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use inventory_app::settings::EventsCommand;
use inventory_app::{
    Application, Cli, Command, events, healthcheck, import, open_inventory, operations, seed_demo,
    shutdown_signal, telemetry, token,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.settings.log_format, &cli.settings.log);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings.normalized();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async {
                // Before the server logs that it listens: a SIGTERM right after is graceful.
                let shutdown = shutdown_signal();
                let mut application = Application::build(&settings)?;
                if settings.fault_relay_crash {
                    // Test-only: the process dies right after its relay's first XADD, to prove
                    // that nothing is lost or repeated.
                    application = application.after_publish(std::sync::Arc::new(|up_to| {
                        tracing::error!(up_to, "fault injection: the process dies after XADD");
                        std::process::exit(70);
                    }));
                }
                application.run_until(shutdown).await
            })
        }
        Command::Migrate => {
            drop(open_inventory(&settings)?);
            println!("database {} is migrated", settings.storage()?.describe());
            Ok(())
        }
        Command::SeedDemo => {
            let inventory = open_inventory(&settings)?;
            let created = seed_demo::seed(&inventory)?;
            println!(
                "demo catalogue: {created} products created in {}",
                settings.storage()?.describe()
            );
            Ok(())
        }
        Command::Events(EventsCommand::Tail { from_seq }) => {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(events::tail(settings.redis(), from_seq))
        }
        Command::Healthcheck => healthcheck::check(&settings.bind),
        Command::Copy(args) => {
            let source = open_inventory(&settings)?;
            let mut to = inventory::StorageConfig::from_url(&args.to)?;
            if let Some(schema) = &args.to_schema {
                match &mut to {
                    inventory::StorageConfig::Postgres(config) => {
                        config.schema = Some(schema.clone());
                    }
                    inventory::StorageConfig::Sqlite(_) => {
                        anyhow::bail!("--to-schema applies to a PostgreSQL destination only")
                    }
                }
            }
            let described = to.describe();
            let destination = inventory::Inventory::builder(to)
                .open()
                .with_context(|| format!("cannot open the destination {described}"))?;
            let report = source.copy_into(&destination)?;
            destination.close();
            source.close();
            println!(
                "copied {} events into {described}: {} products, {} stock records, \
                 {} reservations ({} pending); the copy matches the source",
                report.events,
                report.products,
                report.stock_records,
                report.reservations,
                report.pending
            );
            Ok(())
        }
        Command::Token(args) => {
            println!("{}", token::mint(&settings, &args)?);
            Ok(())
        }
        Command::Transfer(command) => with_inventory(&settings, |inventory| {
            operations::transfer(inventory, command)
        }),
        Command::Cart(command) => {
            with_inventory(&settings, |inventory| operations::cart(inventory, command))
        }
        Command::Reservation(command) => with_inventory(&settings, |inventory| {
            operations::reservation(inventory, command)
        }),
        Command::Check(args) => {
            let inventory = open_inventory(&settings)?;
            let clean = inventory_app::check::run(&inventory, &args);
            inventory.close();
            if !clean? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Import(args) => {
            let outcome = with_inventory(&settings, |inventory| import::run(inventory, &args))?;
            if outcome.rows_refused {
                // The summary said which rows; the exit code tells scripts.
                return Err(anyhow::anyhow!("{} rows were invalid", outcome.invalid));
            }
            Ok(())
        }
    }
}

/// Runs one operator command on the configured database, closed afterwards whatever happened.
fn with_inventory<T>(
    settings: &inventory_app::Settings,
    command: impl FnOnce(&inventory::Inventory) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let inventory = open_inventory(settings)?;
    let result = command(&inventory);
    inventory.close();
    result
}
