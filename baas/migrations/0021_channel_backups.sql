-- A backup holds a state snapshot of every channel of its chain: the main
-- channel's in the row's own columns, the others' here as JSON
-- ([{"channel","node_id","height","state_hash","bytes"}]), their files in
-- the backup's channels/ directory.
ALTER TABLE backups ADD COLUMN channels TEXT NOT NULL DEFAULT '[]';
