-- The chain's nodes when a backup was taken (comma-separated ids): a
-- whole-chain restore needs the same nodes the backed-up configuration names.
ALTER TABLE backups ADD COLUMN nodes TEXT;
