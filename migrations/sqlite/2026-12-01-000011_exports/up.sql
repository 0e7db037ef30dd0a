-- Activity exports read a workspace's events newest first, a batch at a time (id < the last one).
CREATE INDEX audit_events_workspace_id ON audit_events (workspace_id, id);
