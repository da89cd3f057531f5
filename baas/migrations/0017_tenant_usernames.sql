-- A tenant's users sign in as name@tenant: usernames are unique per tenant,
-- so creating one never tells a tenant admin that another tenant has it.
-- Platform users (no tenant) keep their bare names. Tenant names are unique
-- slugs without '@', so the qualified names stay unique.
UPDATE users
SET username = username || '@' || (SELECT name FROM tenants WHERE tenants.id = users.tenant_id)
WHERE tenant_id IS NOT NULL AND username NOT LIKE '%@%';
-- Failure counts were keyed by the old names; they are short-lived anyway.
DELETE FROM login_failures;
