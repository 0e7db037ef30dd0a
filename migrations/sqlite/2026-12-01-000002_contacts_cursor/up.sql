-- Contacts are paged by cursor: one range scan of (workspace_id, id) per page.
CREATE INDEX contacts_workspace_id ON contacts (workspace_id, id);
