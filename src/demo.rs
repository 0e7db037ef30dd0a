//! `mailrith demo`: a realistic workspace set a newcomer can sign in to and look around.

use diesel::Connection;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::db::DatabaseUrl;
use crate::domain::ids::{public_id, random_base62};
use crate::domain::workspace::Role;
use crate::models::{contacts, users, workspaces};
use crate::startup::open_database;

pub const WORKSPACES: [&str; 3] = ["Acme Marketing", "Globex Newsletter", "Initech Events"];

/// (email, name, instance admin, role in each workspace or None)
const PEOPLE: [(&str, &str, bool, [Option<Role>; 3]); 6] = [
    (
        "olivia.owner@demo.mailrith.test",
        "Olivia Owner",
        true,
        [Some(Role::Owner), Some(Role::Owner), Some(Role::Owner)],
    ),
    (
        "adam.admin@demo.mailrith.test",
        "Adam Admin",
        false,
        [Some(Role::Admin), Some(Role::Admin), None],
    ),
    (
        "maya.member@demo.mailrith.test",
        "Maya Member",
        false,
        [Some(Role::Member), None, Some(Role::Member)],
    ),
    (
        "carl.contractor@demo.mailrith.test",
        "Carl Contractor",
        false,
        [Some(Role::Member), None, None],
    ),
    (
        "grace.globex@demo.mailrith.test",
        "Grace Hopper",
        false,
        [None, Some(Role::Admin), Some(Role::Member)],
    ),
    (
        "ivan.initech@demo.mailrith.test",
        "Ivan Initech",
        false,
        [None, None, Some(Role::Admin)],
    ),
];

const FIRST: [&str; 20] = [
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Gita", "Hugo", "Ines", "Jonas", "Kemi",
    "Luis", "Mina", "Nils", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara",
];
const LAST: [&str; 10] = [
    "Garcia", "Okafor", "Nguyen", "Schmidt", "Rossi", "Tanaka", "Silva", "Khan", "Dubois", "Novak",
];

pub fn run(database: DatabaseUrl) -> anyhow::Result<()> {
    let pool = open_database(&Settings::new("127.0.0.1:0", database))?;
    let mut conn = pool.get()?;
    if workspaces::find_by_name(&mut conn, WORKSPACES[0])?.is_some() {
        println!("The demo data is already in this database. Sign in as olivia.owner@demo.mailrith.test with the password printed when it was created.");
        return Ok(());
    }
    let password = format!("demo-{}", random_base62(12));
    let hash = crate::auth::password::hash(&password)?;
    let now = SystemClock.now();
    conn.transaction::<_, anyhow::Error, _>(|c| {
        let mut ws_ids = Vec::new();
        for (i, name) in WORKSPACES.iter().enumerate() {
            let created = now - time::Duration::days(90 - 30 * i as i64);
            ws_ids.push(workspaces::create(c, name, created)?.id);
        }
        for (email, name, is_admin, roles) in PEOPLE {
            let user = users::insert(
                c,
                &users::NewUser {
                    public_id: &public_id("usr"),
                    email,
                    name,
                    password_hash: &hash,
                    is_admin,
                    disabled: false,
                    created_at: now - time::Duration::days(60),
                },
            )?;
            for (ws, role) in ws_ids.iter().zip(roles) {
                if let Some(role) = role {
                    workspaces::add_member(c, *ws, user.id, role, now)?;
                }
            }
        }
        let statuses = [
            "subscribed",
            "subscribed",
            "subscribed",
            "unsubscribed",
            "bounced",
        ];
        let people: Vec<(String, String)> = (0..200)
            .map(|i| {
                let (f, l) = (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
                (
                    format!("{} {}", f, l),
                    format!("{}.{}{}@example.com", f.to_lowercase(), l.to_lowercase(), i),
                )
            })
            .collect();
        let rows: Vec<contacts::NewContact<'_>> = people
            .iter()
            .enumerate()
            .map(|(i, (name, email))| contacts::NewContact {
                public_id: public_id("ct"),
                workspace_id: ws_ids[i % ws_ids.len()],
                email,
                name,
                status: statuses[i % statuses.len()],
                created_at: now - time::Duration::hours(i as i64 * 7),
                updated_at: now - time::Duration::hours(i as i64 * 3),
            })
            .collect();
        contacts::insert_many(c, &rows)?;
        Ok(())
    })?;
    println!(
        "Demo data created: {} workspaces, {} team members, 200 contacts.",
        WORKSPACES.len(),
        PEOPLE.len()
    );
    println!();
    println!("Start the console with `cargo run --release` and sign in at http://127.0.0.1:8080/login as any of:");
    for (email, name, is_admin, _) in PEOPLE {
        println!(
            "    {email:<40} {name}{}",
            if is_admin { " (admin)" } else { "" }
        );
    }
    println!();
    println!("Password for every demo account: {password}");
    Ok(())
}
