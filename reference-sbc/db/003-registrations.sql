-- Registrar state of the reference SBC (IN-02): bindings survive a restart, users provisioned at run
-- time are kept. The SBC runs this same file itself when the tables are missing
-- (reference-sbc/src/policy/registration-store.ts).
CREATE TABLE IF NOT EXISTS registrations (
  aor_user    text NOT NULL,
  contact     text NOT NULL,
  expires_at  timestamptz NOT NULL,
  protocol    text NOT NULL CHECK (protocol IN ('udp', 'tls')),
  source_ip   inet NOT NULL,
  source_port integer NOT NULL CHECK (source_port BETWEEN 1 AND 65535),
  call_id     text NOT NULL,
  cseq        bigint NOT NULL,
  q           real NOT NULL DEFAULT 1,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (aor_user, contact)
);

-- Digest secrets, HA1 = H(username:realm:password) per algorithm (RFC 8760): no password is stored.
CREATE TABLE IF NOT EXISTS sip_users (
  username   text PRIMARY KEY,
  ha1_md5    text NOT NULL,
  ha1_sha256 text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
