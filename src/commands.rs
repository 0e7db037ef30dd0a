//! What each CLI command does, outside of argument parsing.

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::db::DatabaseUrl;
use crate::services::accounts::{self, NewAdmin};
use crate::startup::{open_connection, Application};

pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let backend = settings.database.backend_name();
    let db = settings.database.redacted();
    let app = Application::build_with_clock(settings, Arc::new(SystemClock)).await?;
    tracing::info!(port = app.port(), backend, database = %db, "Mailrith Keys is serving");
    println!(
        "Mailrith Keys is serving on {} ({backend}: {db})",
        app.public_url()
    );
    if let Some(url) = app.setup_url() {
        // Printed, never logged: the token is a one-time secret.
        println!();
        println!(
            "No admin exists yet. Open this one-time setup link to create the first admin account:"
        );
        println!();
        println!("    {url}");
        println!();
    }
    app.run_until_stopped().await?;
    Ok(())
}

pub fn migrate(database: DatabaseUrl) -> anyhow::Result<()> {
    let mut conn = crate::db::connect(&database)?;
    let applied = crate::db::run_migrations(&mut conn)?;
    println!("{applied} migration(s) applied to {}", database.redacted());
    Ok(())
}

pub fn create_admin(database: DatabaseUrl, admin: NewAdmin) -> anyhow::Result<()> {
    let mut conn = open_connection(&database)?;
    let (user, ws) = accounts::create_admin(&mut conn, admin, SystemClock.now())?;
    match ws {
        Some(ws) => println!(
            "Created admin {} ({}), Owner of workspace \"{}\".",
            user.name, user.email, ws.name
        ),
        None => println!("Created admin {} ({}).", user.name, user.email),
    }
    Ok(())
}

/// `mailrith keys check`: reads one token from `input` and says what it is; an error (exit 1)
/// when it is not a valid Mailrith token. Never prints the token.
pub fn check_token(input: impl std::io::Read) -> anyhow::Result<()> {
    use std::io::Read;
    let mut text = String::new();
    input
        .take(4096)
        .read_to_string(&mut text)
        .map_err(|_| anyhow::anyhow!("not a Mailrith token: the input is not UTF-8 text"))?;
    match crate::domain::key::check_token(&text) {
        Ok(what) => {
            println!("valid: {what}");
            Ok(())
        }
        Err(why) => anyhow::bail!("not valid: {why}"),
    }
}
