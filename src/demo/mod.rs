//! `mailrith demo`: a realistic workspace set a newcomer can sign in to and look around. It is
//! made with the same services as the console: an admin, invitations accepted, keys generated,
//! rotated and revoked, apps registered and connected, so the audit log tells the same story.

mod data;

use time::{Duration, PrimitiveDateTime};

pub use data::WORKSPACES;
use data::{DEMO_IP, FIRST, KEY_NAMES, LAST, PEOPLE};

use crate::clock::{Clock, SystemClock};
use crate::db::ids::UserId;
use crate::db::{AnyConnection, DatabaseUrl};
use crate::domain::account::{EmailAddress, NewPassword, PersonName};
use crate::domain::contact::ContactStatus;
use crate::domain::ids::{public_id, random_base62};
use crate::domain::key::{AccessLevel, Expiration, KeyName, Purpose};
use crate::domain::workspace::{Access, Role, WorkspaceAccess, WorkspaceName};
use crate::models::{api_keys as key_rows, contacts, oauth as oauth_rows, users, workspaces};
use crate::services::accounts::{self, NewAdmin};
use crate::services::api_keys::{self, Generated, NewExpiration, NewKey};
use crate::services::oauth::AuthorizeRequest;
use crate::services::team::{self, Invitee, NewAccount};
use crate::services::{apps, oauth, Acting};
use crate::startup::open_connection;

fn parsed<T>(r: Result<T, crate::domain::FieldError>) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!("demo data: {e}"))
}

pub fn run(database: DatabaseUrl, login_url: &str) -> anyhow::Result<()> {
    let mut conn = open_connection(&database)?;
    if workspaces::find_by_name(&mut conn, WORKSPACES[0])?.is_some() {
        println!("The demo data is already in this database. Sign in as olivia.owner@demo.mailrith.test with the password printed when it was created.");
        return Ok(());
    }
    let password = format!("demo-{}", random_base62(12));
    let now = SystemClock.now();
    conn.write_transaction::<_, anyhow::Error, _>(|c| fill(c, &password, now))?;
    println!(
        "Demo data created: {} workspaces, {} team members, 200 contacts, {} API keys (active, expiring, expired, rotated and revoked), 2 authorized apps.",
        WORKSPACES.len(),
        PEOPLE.len(),
        KEY_NAMES.len() * 4
    );
    println!();
    println!("Start the console with `cargo run --release` and sign in at {login_url} as any of:");
    for (i, (email, name, _)) in PEOPLE.iter().enumerate() {
        let admin = if i == 0 { " (admin)" } else { "" };
        println!("    {email:<40} {name}{admin}");
    }
    println!();
    println!("Password for every demo account: {password}");
    Ok(())
}

fn fill(c: &mut AnyConnection, password: &str, now: PrimitiveDateTime) -> anyhow::Result<()> {
    let (email, name, _) = PEOPLE[0];
    let admin = NewAdmin {
        email: parsed(EmailAddress::parse(email))?,
        name: parsed(PersonName::parse(name))?,
        workspace: Some(parsed(WorkspaceName::parse(WORKSPACES[0]))?),
        password: parsed(NewPassword::parse(password, password, &[email, name]))?,
    };
    let (olivia, acme) = accounts::create_admin(c, admin, now - Duration::days(90))?;
    let acme = acme.ok_or_else(|| anyhow::anyhow!("demo data: no first workspace"))?;
    let mut ws = vec![acme];
    for (i, name) in WORKSPACES.iter().enumerate().skip(1) {
        let at = Acting::new(
            olivia.id,
            DEMO_IP.to_owned(),
            now - Duration::days(90 - 30 * i as i64),
        );
        ws.push(crate::services::workspaces::create(
            c,
            &at,
            &parsed(WorkspaceName::parse(name))?,
        )?);
    }
    // Everyone else is invited by Olivia and accepts.
    let mut people = vec![olivia.id];
    for (email, name, access) in PEOPLE.iter().skip(1) {
        let mut id = None;
        for (w, a) in ws.iter().zip(access) {
            let Some((role, keys, apps)) = a else {
                continue;
            };
            let at = Acting::new(olivia.id, DEMO_IP.to_owned(), now - Duration::days(60));
            let invitee = Invitee {
                email: EmailAddress::parse(email),
                access: Ok(WorkspaceAccess::new(*role, *keys, *apps)),
            };
            let link = team::invite(c, &at, &w.public_id, invitee)?;
            let account = NewAccount {
                name: (*name).to_owned(),
                password: password.to_owned(),
                password_confirm: password.to_owned(),
            };
            let joined = team::accept_invitation(
                c,
                &link.token,
                id,
                &account,
                Some(DEMO_IP.to_owned()),
                now - Duration::days(59),
            )?;
            id = Some(joined.user);
        }
        people.push(id.ok_or_else(|| anyhow::anyhow!("demo data: {email} joined nothing"))?);
    }
    demo_contacts(c, &ws, now)?;
    demo_keys(c, &ws, &people, now)?;
    demo_apps(c, &ws, &people, now)?;
    Ok(())
}

fn demo_contacts(
    c: &mut AnyConnection,
    ws: &[workspaces::Workspace],
    now: PrimitiveDateTime,
) -> anyhow::Result<()> {
    let statuses = [
        ContactStatus::Subscribed,
        ContactStatus::Subscribed,
        ContactStatus::Subscribed,
        ContactStatus::Unsubscribed,
        ContactStatus::Bounced,
    ];
    let people: Vec<(String, String)> = (0..200)
        .map(|i| {
            let (f, l) = (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
            (
                format!("{f} {l}"),
                format!("{}.{}{i}@example.com", f.to_lowercase(), l.to_lowercase()),
            )
        })
        .collect();
    let rows: Vec<contacts::NewContact<'_>> = people
        .iter()
        .enumerate()
        .map(|(i, (name, email))| contacts::NewContact {
            public_id: public_id("ct"),
            workspace_id: ws[i % ws.len()].id,
            email,
            name,
            status: statuses[i % statuses.len()],
            created_at: now - Duration::hours(i as i64 * 7),
            updated_at: now - Duration::hours(i as i64 * 3),
        })
        .collect();
    contacts::insert_many(c, &rows)?;
    Ok(())
}

/// 40 keys: in each of three workspaces, and a fourth round across them, in every state.
fn demo_keys(
    c: &mut AnyConnection,
    ws: &[workspaces::Workspace],
    people: &[UserId],
    now: PrimitiveDateTime,
) -> anyhow::Result<()> {
    let (olivia, contractor) = (people[0], people[3]);
    let members: Vec<Vec<UserId>> = ws
        .iter()
        .map(|w| {
            Ok(workspaces::members(c, w.id)?
                .into_iter()
                .map(|m| m.user_id)
                .collect())
        })
        .collect::<anyhow::Result<_>>()?;
    let mut n = 0i64;
    for round in 0..4 {
        for (i, (name, purpose)) in KEY_NAMES.iter().enumerate() {
            n += 1;
            let w = (i + round) % ws.len();
            // The contractor owned the handoff keys everywhere; outside Acme he is not a member,
            // so those keys show "owner removed".
            let owner = if i == 8 {
                contractor
            } else {
                members[w][(i + round) % members[w].len()]
            };
            let created = now - Duration::days(200 - n * 4);
            let state = (i + round * 3) % 8;
            let day = |d: i64| (now + Duration::days(d)).date();
            let expiration = match state {
                0 | 4 => Expiration::Never,
                1 => Expiration::On(day(4)),  // expires within the week
                2 => Expiration::On(day(-4)), // expired
                _ => Expiration::On(day(30 + n)),
            };
            let display = if round == 0 {
                (*name).to_owned()
            } else {
                format!("{name} #{}", round + 1)
            };
            let new = NewKey {
                name: parsed(KeyName::parse(&display))?,
                purpose: parsed(Purpose::parse(purpose))?,
                access: if i % 3 == 1 {
                    AccessLevel::ReadWrite
                } else {
                    AccessLevel::ReadOnly
                },
                expiration,
                owner: Some(owner),
                request_id: None,
                restrictions: Default::default(),
            };
            let at = Acting::new(olivia, DEMO_IP.to_owned(), created);
            let Generated::Key(key, _) = api_keys::generate(c, &at, &ws[w].public_id, Ok(new))?
            else {
                anyhow::bail!("demo data: a duplicate key");
            };
            let pid = key.key.public_id.clone();
            if state != 5 {
                let used = now - Duration::hours(n * 5);
                key_rows::record_last_used(
                    c,
                    key.key.id,
                    key_rows::SecretUsed::Current { since: None },
                    used,
                    used,
                    "203.0.113.24",
                    "mailrith-demo/1.0",
                )?;
            }
            match state {
                3 => {
                    let at = Acting::new(olivia, DEMO_IP.to_owned(), now - Duration::hours(2));
                    let (_, version, _) = api_keys::rotation(c, &at, &pid)?;
                    api_keys::rotate(c, &at, &pid, &version, Ok(NewExpiration::Keep.into()))?;
                }
                6 => {
                    let at = Acting::new(olivia, DEMO_IP.to_owned(), now - Duration::days(10));
                    api_keys::revoke(c, &at, &pid)?;
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Two registered apps and the grants people gave them (one by the contractor, for offboarding).
fn demo_apps(
    c: &mut AnyConnection,
    ws: &[workspaces::Workspace],
    people: &[UserId],
    now: PrimitiveDateTime,
) -> anyhow::Result<()> {
    let (olivia, contractor) = (people[0], people[3]);
    let registered = now - Duration::days(40);
    let mut clients = Vec::new();
    for (name, homepage, redirect) in [
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
    ] {
        let new = apps::NewClient {
            name: name.into(),
            homepage: homepage.into(),
            redirect_uris: vec![redirect.into()],
            logo_url: None,
            public: false,
        };
        let at = Acting::new(olivia, DEMO_IP.to_owned(), registered);
        clients.push((apps::register(c, &at, Ok(new))?.client_id, redirect));
    }
    let connected = now - Duration::days(12);
    for (client, w, who, scope) in [
        (0, 0, olivia, "contacts:read"),
        (1, 0, contractor, "contacts:read contacts:write"),
        (0, 1, olivia, "contacts:read"),
    ] {
        let (client_id, redirect) = &clients[client];
        let request = AuthorizeRequest {
            response_type: "code".into(),
            client_id: client_id.clone(),
            redirect_uri: (*redirect).to_owned(),
            scope: scope.into(),
            state: String::new(),
            code_challenge: crate::domain::oauth::challenge_of(&random_base62(64)),
            code_challenge_method: "S256".into(),
        };
        let at = Acting::new(who, DEMO_IP.to_owned(), connected);
        oauth::approve(c, &at, &request, &ws[w].public_id)
            .map_err(|e| anyhow::anyhow!("demo data: connecting an app: {e:?}"))?;
    }
    for grant in oauth_rows::active_in_workspace(c, ws[0].id)?
        .into_iter()
        .chain(oauth_rows::active_in_workspace(c, ws[1].id)?)
    {
        let used = now - Duration::hours(3);
        oauth_rows::record_last_used(
            c,
            grant.grant.id,
            used,
            "198.51.100.20",
            "zapline-worker/4.2",
        )?;
    }
    // The contractor may no longer connect apps in Acme.
    let carl =
        users::find(c, contractor)?.ok_or_else(|| anyhow::anyhow!("demo data: no contractor"))?;
    let at = Acting::new(olivia, DEMO_IP.to_owned(), now - Duration::days(11));
    let access = WorkspaceAccess::new(Role::Member, Access::View, Access::None);
    team::change_access(c, &at, &ws[0].public_id, &carl.public_id, Ok(access))?;
    Ok(())
}
