-- CDR table of the reference SBC (GEN-05, GEN-06, GEN-07). PostgreSQL 15.
-- Idempotent: the reference SBC's profile (database.sql) applies it before the SBC starts, and the
-- SBC's CDR writer (reference-sbc/src/cdr/store.ts) runs this same file when it finds no table.

CREATE TABLE IF NOT EXISTS cdr (
  id              bigserial PRIMARY KEY,
  -- Call-ID of the public leg. UNIQUE so that replaying the SBC's spool after an outage or a crash
  -- (INSERT ... ON CONFLICT (call_id) DO NOTHING) never duplicates a row.
  call_id         text NOT NULL UNIQUE,
  core_call_id    text,
  attempt_at      timestamptz NOT NULL,   -- INVITE received
  answer_at       timestamptz,            -- 200 OK to the INVITE; NULL when never answered
  end_at          timestamptz NOT NULL,   -- BYE, CANCEL or final failure response
  duration_s      integer NOT NULL DEFAULT 0 CHECK (duration_s >= 0),   -- whole seconds, end - answer; 0 if unanswered
  duration_ms     bigint NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),
  src_number      text NOT NULL,
  dst_number      text NOT NULL,
  remote_ip       inet,                   -- the public peer; NULL for an outbound call that found no destination
  remote_port     integer CHECK (remote_port BETWEEN 1 AND 65535),
  transport       text,                   -- udp | tls, of the public leg
  direction       text NOT NULL CHECK (direction IN ('in', 'out')),
  core_server     text,                   -- host:port of the core server an inbound call was routed to
  final_status    integer,                -- final SIP status as the caller saw it
  end_reason      text,                   -- caller-bye, callee-bye, cancelled, rejected, timeout, failed, shutdown
  media_encrypted boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS cdr_attempt_at_idx ON cdr (attempt_at);
CREATE INDEX IF NOT EXISTS cdr_dst_number_idx ON cdr (dst_number);
