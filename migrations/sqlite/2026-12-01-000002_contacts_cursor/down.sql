DROP INDEX contacts_workspace_id;
