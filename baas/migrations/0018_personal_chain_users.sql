-- The REST gateway signs a person's transactions with that person's own
-- chain user (enrolled on first use, key kept), never with an org's shared
-- client: person_id is the BaaS user it speaks for. No foreign key: the
-- identity, and what it signed, outlive the account.
ALTER TABLE chain_users ADD COLUMN person_id TEXT;
CREATE INDEX chain_users_by_person ON chain_users (person_id, chain_id, org_id);
