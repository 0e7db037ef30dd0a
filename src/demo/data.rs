//! The demo's people, workspaces, contacts' names and integrations.

use crate::domain::workspace::{Access, Role};

pub const WORKSPACES: [&str; 3] = ["Acme Marketing", "Globex Newsletter", "Initech Events"];

/// A role and the API Keys and Authorized Apps permissions.
pub type Grant = Option<(Role, Access, Access)>;

/// (email, name, access in each workspace or None). The first is the instance admin who owns
/// every workspace and invites everyone else.
pub const PEOPLE: [(&str, &str, [Grant; 3]); 6] = [
    (
        "olivia.owner@demo.mailrith.test",
        "Olivia Owner",
        [
            Some((Role::Owner, Access::View, Access::View)),
            Some((Role::Owner, Access::View, Access::View)),
            Some((Role::Owner, Access::View, Access::View)),
        ],
    ),
    (
        "adam.admin@demo.mailrith.test",
        "Adam Admin",
        [
            Some((Role::Admin, Access::View, Access::View)),
            Some((Role::Admin, Access::View, Access::View)),
            None,
        ],
    ),
    (
        "maya.member@demo.mailrith.test",
        "Maya Member",
        [
            Some((Role::Member, Access::Manage, Access::View)),
            None,
            Some((Role::Member, Access::View, Access::None)),
        ],
    ),
    (
        // The agency contractor: he connected an app while he could, then lost the right.
        "carl.contractor@demo.mailrith.test",
        "Carl Contractor",
        [
            Some((Role::Member, Access::View, Access::Manage)),
            None,
            None,
        ],
    ),
    (
        "grace.globex@demo.mailrith.test",
        "Grace Hopper",
        [
            None,
            Some((Role::Admin, Access::View, Access::View)),
            Some((Role::Member, Access::None, Access::View)),
        ],
    ),
    (
        "ivan.initech@demo.mailrith.test",
        "Ivan Initech",
        [None, None, Some((Role::Admin, Access::View, Access::View))],
    ),
];

pub const FIRST: [&str; 20] = [
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Gita", "Hugo", "Ines", "Jonas", "Kemi",
    "Luis", "Mina", "Nils", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara",
];
pub const LAST: [&str; 10] = [
    "Garcia", "Okafor", "Nguyen", "Schmidt", "Rossi", "Tanaka", "Silva", "Khan", "Dubois", "Novak",
];

/// Ten integrations; each workspace gets some of them, in every state a key can be in.
pub const KEY_NAMES: [(&str, &str); 10] = [
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

pub const DEMO_IP: &str = "127.0.0.1";
