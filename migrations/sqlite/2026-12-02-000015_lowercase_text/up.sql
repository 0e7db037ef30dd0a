-- Nothing on SQLite: PostgreSQL keeps the lower-cased name and purpose in generated columns
-- because its lower() is costly in a UTF-8 database. SQLite's LIKE ignores ASCII case in its own
-- code, and the search's scan reads name and purpose from the default order's index as before.
SELECT 1;
