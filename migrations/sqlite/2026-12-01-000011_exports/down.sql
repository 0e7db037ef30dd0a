DROP INDEX audit_events_workspace_id;
