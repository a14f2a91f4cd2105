-- Block list of the reference SBC (IN-01). PostgreSQL 15. Idempotent, applied by the SBC's profile (database.sql).
-- The SBC reads the live rows at start and every security.database.refreshS seconds; while the
-- database is unreachable it keeps the last list it read. The SBC runs this same file itself
-- when it finds no table (reference-sbc/src/policy/blocklist-db.ts).
--
--   INSERT INTO blocklist (address, expires_at, reason) VALUES ('198.51.100.0/24', NULL, 'abuse report 4711');
--   INSERT INTO blocklist (address, expires_at, reason) VALUES ('203.0.113.99', now() + interval '1 hour', 'scanner');

CREATE TABLE IF NOT EXISTS blocklist (
  address    cidr PRIMARY KEY,      -- a host (stored as /32) or a range
  expires_at timestamptz NULL,      -- NULL = until deleted; past rows are ignored
  reason     text
);
