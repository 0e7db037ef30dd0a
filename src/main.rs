//! Thin entry point: parse the command line, set up logging, run the command.

use std::process::ExitCode;

use mailrith::cli::{AdminCommand, Cli, Command, KeysCommand};
use mailrith::commands;

fn main() -> ExitCode {
    let cli = Cli::parse_with_default();
    mailrith::telemetry::init(cli.log_json);
    mailrith::telemetry::tune_allocator();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let database = cli.database()?;
    match cli.command {
        Some(Command::Serve(args)) => {
            let settings = args.settings(database)?;
            actix_web::rt::System::new().block_on(commands::serve(settings))
        }
        Some(Command::Migrate) => commands::migrate(database),
        Some(Command::Admin(AdminCommand::Create {
            email,
            name,
            workspace,
        })) => {
            let admin = mailrith::cli::read_new_admin(&email, &name, workspace.as_deref())?;
            commands::create_admin(database, admin)
        }
        Some(Command::Demo(args)) => mailrith::demo::run(database, &args.login_url()?),
        Some(Command::Keys(KeysCommand::Check)) => commands::check_token(std::io::stdin()),
        None => anyhow::bail!("no command given"),
    }
}
