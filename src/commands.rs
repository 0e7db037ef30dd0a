//! What each CLI command does, outside of argument parsing.

use std::sync::Arc;

use crate::cli::NewAdmin;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::db::DatabaseUrl;
use crate::domain::ids::public_id;
use crate::domain::workspace::Role;
use crate::models::{audit, users, workspaces};
use crate::startup::{open_connection, Application};

pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let backend = settings.database.backend_name();
    let db = settings.database.redacted();
    let app = Application::build_with_clock(settings, Arc::new(SystemClock)).await?;
    tracing::info!(port = app.port(), backend, database = %db, "Mailrith Keys is serving");
    println!(
        "Mailrith Keys is serving on http://127.0.0.1:{} ({backend}: {db})",
        app.port()
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
    let settings = Settings::new("127.0.0.1:0", database);
    let pool = crate::db::build_pool(&settings.database, 1)?;
    let mut conn = pool.get()?;
    let applied = crate::db::run_migrations(&mut conn)?;
    println!(
        "{applied} migration(s) applied to {}",
        settings.database.redacted()
    );
    Ok(())
}

pub fn create_admin(database: DatabaseUrl, admin: NewAdmin) -> anyhow::Result<()> {
    let mut conn = open_connection(&database)?;
    let hash = crate::auth::password::hash(admin.password.expose())?;
    let now = SystemClock.now();
    let (user, ws) = conn.write_transaction::<_, anyhow::Error, _>(|c| {
        if users::find_by_email(c, admin.email.as_str())?.is_some() {
            anyhow::bail!(
                "a user with the email {} already exists",
                admin.email.as_str()
            );
        }
        let user = users::insert(
            c,
            &users::NewUser {
                public_id: &public_id("usr"),
                email: admin.email.as_str(),
                name: admin.name.as_str(),
                password_hash: &hash,
                is_admin: true,
                disabled: false,
                created_at: now,
            },
        )?;
        let ws = match &admin.workspace {
            None => None,
            Some(name) => {
                let ws = match workspaces::find_by_name(c, name.as_str())? {
                    Some(ws) => ws,
                    None => workspaces::create(c, name.as_str(), now)?,
                };
                workspaces::add_member(c, ws.id, user.id, Role::Owner, now)?;
                Some(ws)
            }
        };
        audit::record(
            c,
            &audit::NewEvent {
                workspace_id: ws.as_ref().map(|w| w.id),
                actor_id: None,
                action: "admin.create",
                subject: Some(&user.public_id),
                details: "created from the command line",
                ip: None,
                created_at: now,
            },
        )?;
        Ok((user, ws))
    })?;
    match ws {
        Some(ws) => println!(
            "Created admin {} ({}), Owner of workspace \"{}\".",
            user.name, user.email, ws.name
        ),
        None => println!("Created admin {} ({}).", user.name, user.email),
    }
    Ok(())
}
