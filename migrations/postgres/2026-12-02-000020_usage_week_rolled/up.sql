-- The day the usage week was last moved on (one row). Every process moved it on at start-up, not
-- knowing whether another had: at a million keys with 100,000 used this week that recount reads
-- each used key's days (4 s on SQLite, in short transactions since 2026-12-02-000018's stop); now
-- a process that starts on a day already rolled skips it.
CREATE TABLE usage_week_rolled (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    day DATE NOT NULL
);
