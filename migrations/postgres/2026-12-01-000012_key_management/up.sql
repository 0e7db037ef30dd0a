-- Keys managed through the API by an authorized app (OAuth scope `keys:manage`): the audit log
-- says "<person> via <app>", and a key created that way says which app created it.
ALTER TABLE audit_events ADD COLUMN via_app TEXT;
ALTER TABLE api_keys ADD COLUMN created_via TEXT;
