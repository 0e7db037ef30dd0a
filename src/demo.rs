//! `mailrith demo`: a realistic workspace set a newcomer can sign in to and look around.

use diesel::prelude::*;

use crate::clock::{Clock, SystemClock};
use crate::db::DatabaseUrl;
use crate::domain::ids::{public_id, random_base62};
use crate::domain::key::PlainKey;
use crate::domain::workspace::{Access, Role, WorkspaceAccess};
use crate::models::{api_keys, audit, contacts, users, workspaces};
use crate::startup::open_connection;

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

pub fn run(database: DatabaseUrl, login_url: &str) -> anyhow::Result<()> {
    let mut conn = open_connection(&database)?;
    if workspaces::find_by_name(&mut conn, WORKSPACES[0])?.is_some() {
        println!("The demo data is already in this database. Sign in as olivia.owner@demo.mailrith.test with the password printed when it was created.");
        return Ok(());
    }
    let password = format!("demo-{}", random_base62(12));
    let hash = crate::auth::password::hash(&password)?;
    let now = SystemClock.now();
    conn.write_transaction::<_, anyhow::Error, _>(|c| {
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
        let owners: Vec<i64> = {
            let mut v = Vec::new();
            for (email, ..) in PEOPLE {
                v.push(
                    users::find_by_email(c, email)?
                        .map(|u| u.id)
                        .unwrap_or_default(),
                );
            }
            v
        };
        // Members with each per-feature permission, to sign in as and compare.
        let (maya, carl, grace) = (owners[2], owners[3], owners[4]);
        workspaces::set_access(
            c,
            ws_ids[0],
            maya,
            WorkspaceAccess::new(Role::Member, Access::Manage, Access::View),
        )?;
        workspaces::set_access(
            c,
            ws_ids[2],
            maya,
            WorkspaceAccess::new(Role::Member, Access::View, Access::None),
        )?;
        workspaces::set_access(
            c,
            ws_ids[0],
            carl,
            WorkspaceAccess::new(Role::Member, Access::View, Access::None),
        )?;
        workspaces::set_access(
            c,
            ws_ids[2],
            grace,
            WorkspaceAccess::new(Role::Member, Access::None, Access::View),
        )?;
        let mut members_of = Vec::new();
        for ws in &ws_ids {
            members_of.push(
                workspaces::members(c, *ws)?
                    .into_iter()
                    .map(|m| m.user_id)
                    .collect::<Vec<_>>(),
            );
        }
        demo_keys(c, &ws_ids, &members_of, owners[0], carl, now)?;
        demo_apps(c, &ws_ids, owners[0], carl, now)?;
        Ok(())
    })?;
    println!(
        "Demo data created: {} workspaces, {} team members, 200 contacts, {} API keys (active, expiring, expired, rotated and revoked), 2 authorized apps.",
        WORKSPACES.len(),
        PEOPLE.len(),
        KEY_NAMES.len() * 4
    );
    println!();
    println!("Start the console with `cargo run --release` and sign in at {login_url} as any of:");
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

/// Ten integrations; each workspace gets some of them, in every state a key can be in.
const KEY_NAMES: [(&str, &str); 10] = [
    (
        "Website sign-up form",
        "Adds subscribers from the footer form on the marketing site.",
    ),
    ("CRM sync", "Nightly two-way sync of contacts with the CRM."),
    (
        "Data import script",
        "One-off import of the 2025 trade-show leads.",
    ),
    (
        "Reporting dashboard",
        "Reads campaign and contact counts for the BI dashboard.",
    ),
    (
        "Zapier integration",
        "Creates contacts from new Typeform responses.",
    ),
    (
        "Webinar platform",
        "Adds webinar registrants to the events list.",
    ),
    (
        "Shopify store",
        "Subscribes customers who opt in at checkout.",
    ),
    (
        "Support desk",
        "Looks up a contact's status from support tickets.",
    ),
    (
        "Agency handoff (Q3)",
        "Used by the agency that ran the Q3 campaign.",
    ),
    (
        "Legacy newsletter tool",
        "The old tool, replaced in the spring.",
    ),
];

/// 40 keys: in each of three workspaces, and a fourth round across them, in every state.
fn demo_keys(
    c: &mut crate::db::AnyConnection,
    ws_ids: &[i64],
    members_of: &[Vec<i64>],
    admin: i64,
    contractor: i64,
    now: time::PrimitiveDateTime,
) -> anyhow::Result<()> {
    use time::Duration;
    let mut n = 0usize;
    for round in 0..4 {
        for (i, (name, purpose)) in KEY_NAMES.iter().enumerate() {
            n += 1;
            let w = (i + round) % ws_ids.len();
            let ws = ws_ids[w];
            // The agency contractor owned the handoff keys everywhere; outside Acme he is not a
            // member, so those keys show "owner removed".
            let owner = if i == 8 {
                contractor
            } else {
                members_of[w][(i + round) % members_of[w].len()]
            };
            let created = now - Duration::days(200 - (n as i64 * 4));
            let state = (i + round * 3) % 8;
            let expires_at = match state {
                0 | 4 => None,                      // never expires
                1 => Some(now + Duration::days(5)), // expires in 5 days
                2 => Some(now - Duration::days(3)), // expired
                _ => Some(now + Duration::days(30 + n as i64)),
            };
            let plain = PlainKey::generate();
            let display_name = if round == 0 {
                (*name).to_owned()
            } else {
                format!("{name} #{}", round + 1)
            };
            let key = api_keys::insert(
                c,
                &api_keys::NewApiKey {
                    public_id: &crate::domain::ids::public_id("key"),
                    workspace_id: ws,
                    name: &display_name,
                    purpose,
                    access_level: if i % 3 == 1 {
                        "read_write"
                    } else {
                        "read_only"
                    },
                    owner_id: Some(owner),
                    created_by: Some(admin),
                    created_at: created,
                    expires_at,
                    key_hash: plain.hash().as_str(),
                    hint: &plain.hint(),
                    request_id: None,
                },
            )?;
            audit::record(
                c,
                &audit::NewEvent {
                    workspace_id: Some(ws),
                    actor_id: Some(admin),
                    action: "api_key.generate",
                    subject: Some(&key.public_id),
                    details: "demo data",
                    ip: Some("127.0.0.1"),
                    created_at: created,
                },
            )?;
            let used = (state != 5).then(|| now - Duration::hours(n as i64 * 5));
            if let Some(used) = used {
                diesel::update(crate::db::schema::api_keys::table.find(key.id))
                    .set((
                        crate::db::schema::api_keys::last_used_at.eq(Some(used)),
                        crate::db::schema::api_keys::last_used_ip.eq(Some("203.0.113.24")),
                        crate::db::schema::api_keys::last_used_user_agent
                            .eq(Some("mailrith-demo/1.0")),
                    ))
                    .execute(c)?;
            }
            match state {
                3 => {
                    let fresh = PlainKey::generate();
                    api_keys::rotate(
                        c,
                        key.id,
                        plain.hash().as_str(),
                        fresh.hash().as_str(),
                        &fresh.hint(),
                        expires_at,
                        now - Duration::hours(2),
                    )?;
                    audit::record(
                        c,
                        &audit::NewEvent {
                            workspace_id: Some(ws),
                            actor_id: Some(admin),
                            action: "api_key.rotate",
                            subject: Some(&key.public_id),
                            details: "new secret",
                            ip: Some("127.0.0.1"),
                            created_at: now - Duration::hours(2),
                        },
                    )?;
                }
                6 => {
                    api_keys::revoke(c, key.id, admin, now - Duration::days(10))?;
                    audit::record(
                        c,
                        &audit::NewEvent {
                            workspace_id: Some(ws),
                            actor_id: Some(admin),
                            action: "api_key.revoke",
                            subject: Some(&key.public_id),
                            details: "access stopped",
                            ip: Some("127.0.0.1"),
                            created_at: now - Duration::days(10),
                        },
                    )?;
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Two registered apps and the grants people gave them (one by the contractor, for offboarding).
fn demo_apps(
    c: &mut crate::db::AnyConnection,
    ws_ids: &[i64],
    admin: i64,
    contractor: i64,
    now: time::PrimitiveDateTime,
) -> anyhow::Result<()> {
    use crate::domain::oauth as o;
    use crate::models::oauth as m;
    let apps = [
        (
            "Zapline",
            "https://zapline.example.com",
            "https://zapline.example.com/oauth/callback",
        ),
        (
            "Sheetsync",
            "https://sheetsync.example.com",
            "https://sheetsync.example.com/callback",
        ),
    ];
    let mut ids = Vec::new();
    for (name, homepage, redirect) in apps {
        let client_id = o::new_secret(o::CLIENT_ID_PREFIX);
        let secret = o::new_secret(o::CLIENT_SECRET_PREFIX);
        let hint = format!(
            "{}…{}",
            o::CLIENT_SECRET_PREFIX,
            &secret[secret.len() - 4..]
        );
        m::insert_client(
            c,
            &client_id,
            name,
            homepage,
            redirect,
            None,
            Some((&o::hash(&secret), &hint)),
            admin,
            now - time::Duration::days(40),
        )?;
        ids.push(
            m::find_client(c, &client_id)?
                .map(|cl| cl.id)
                .unwrap_or_default(),
        );
    }
    let grants = [
        (ids[0], ws_ids[0], admin, "contacts:read"),
        (
            ids[1],
            ws_ids[0],
            contractor,
            "contacts:read contacts:write",
        ),
        (ids[0], ws_ids[1], admin, "contacts:read"),
    ];
    for (client, ws, user, scope) in grants {
        let g = m::insert_grant(
            c,
            &crate::domain::ids::public_id("grt"),
            client,
            ws,
            user,
            scope,
            now - time::Duration::days(12),
        )?;
        m::record_last_used(
            c,
            g.id,
            now - time::Duration::hours(3),
            "198.51.100.20",
            "zapline-worker/4.2",
        )?;
        crate::models::audit::record(
            c,
            &crate::models::audit::NewEvent {
                workspace_id: Some(ws),
                actor_id: Some(user),
                action: "app.authorize",
                subject: Some(&g.public_id),
                details: "demo data",
                ip: Some("127.0.0.1"),
                created_at: now - time::Duration::days(12),
            },
        )?;
    }
    Ok(())
}
