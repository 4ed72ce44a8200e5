-- Accounts: a display name and a role per user (owner, admin, member). The first admin
-- made by the bootstrap becomes the owner. `is_admin` stays, kept equal to "owner or
-- admin", for readers of older schema versions.
ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member'
    CHECK (role IN ('owner', 'admin', 'member'));
UPDATE users SET role = 'owner'
    WHERE id = (SELECT min(id) FROM users WHERE is_admin);
UPDATE users SET role = 'admin' WHERE is_admin AND role = 'member';
