-- Database of the Kamailio SUT (PostgreSQL 15), applied by its profile (database.sql) before Kamailio
-- starts. Only the tables this configuration uses; Kamailio checks each table's version at start-up
-- against the `version` table, so every table is registered there with the version Kamailio 5.6 expects.

CREATE TABLE version (
  id            serial PRIMARY KEY,
  table_name    varchar(32) NOT NULL UNIQUE,
  table_version integer NOT NULL DEFAULT 0
);

-- usrloc (db_mode 1, write-through): the registrar's bindings, loaded again when Kamailio restarts.
CREATE TABLE location (
  id            serial PRIMARY KEY,
  ruid          varchar(64) NOT NULL DEFAULT '' UNIQUE,
  username      varchar(64) NOT NULL DEFAULT '',
  domain        varchar(64),
  contact       varchar(512) NOT NULL DEFAULT '',
  received      varchar(128),
  path          varchar(512),
  expires       timestamp NOT NULL DEFAULT '2030-01-01 00:00:00',
  q             real NOT NULL DEFAULT 1.0,
  callid        varchar(255) NOT NULL DEFAULT '',
  cseq          integer NOT NULL DEFAULT 1,
  last_modified timestamp NOT NULL DEFAULT '2000-01-01 00:00:01',
  flags         integer NOT NULL DEFAULT 0,
  cflags        integer NOT NULL DEFAULT 0,
  user_agent    varchar(255) NOT NULL DEFAULT '',
  socket        varchar(64),
  methods       integer,
  instance      varchar(255),
  reg_id        integer NOT NULL DEFAULT 0,
  server_id     integer NOT NULL DEFAULT 0,
  connection_id integer NOT NULL DEFAULT 0,
  keepalive     integer NOT NULL DEFAULT 0,
  partition     integer NOT NULL DEFAULT 0
);
CREATE INDEX location_account_contact_idx ON location (username, domain, contact);
CREATE INDEX location_expires_idx ON location (expires);
INSERT INTO version (table_name, table_version) VALUES ('location', 9);

-- auth_db: SIP users, provisioned at run time by the profile (plain password, HA1 computed per request).
CREATE TABLE subscriber (
  id       serial PRIMARY KEY,
  username varchar(64) NOT NULL DEFAULT '',
  domain   varchar(64) NOT NULL DEFAULT '',
  password varchar(64) NOT NULL DEFAULT '',
  ha1      varchar(128) NOT NULL DEFAULT '',
  ha1b     varchar(128) NOT NULL DEFAULT '',
  UNIQUE (username, domain)
);
INSERT INTO version (table_name, table_version) VALUES ('subscriber', 7);

-- acc: one dialog-based CDR per call attempt (cdr_enable, cdr_on_failed). start_time, end_time and
-- duration are acc's own (seconds); the other columns are this configuration's cdr_extra, filled from
-- dialog variables set as the call progresses (times as "seconds.microseconds" since the epoch).
CREATE TABLE acc_cdrs (
  id           serial PRIMARY KEY,
  start_time   timestamp NOT NULL DEFAULT '2000-01-01 00:00:00',
  end_time     timestamp NOT NULL DEFAULT '2000-01-01 00:00:00',
  duration     real NOT NULL DEFAULT 0,
  call_id      varchar(255) NOT NULL DEFAULT '',
  direction    varchar(8) NOT NULL DEFAULT '',
  attempt_ts   varchar(32) NOT NULL DEFAULT '',
  answer_ts    varchar(32) NOT NULL DEFAULT '',
  end_ts       varchar(32) NOT NULL DEFAULT '',
  src_number   varchar(64) NOT NULL DEFAULT '',
  dst_number   varchar(64) NOT NULL DEFAULT '',
  remote_ip    varchar(64) NOT NULL DEFAULT '',
  final_status varchar(8) NOT NULL DEFAULT ''
);
CREATE INDEX acc_cdrs_call_id_idx ON acc_cdrs (call_id);
INSERT INTO version (table_name, table_version) VALUES ('acc_cdrs', 2);

-- topos: what each side sent in a dialog (Via, Record-Route, Contact), kept so that the other side
-- never sees it and in-dialog requests can be routed back. Rows expire with the dialog.
CREATE TABLE topos_d (
  id         serial PRIMARY KEY,
  rectime    timestamp NOT NULL,
  x_context  varchar(64) NOT NULL DEFAULT '',
  s_method   varchar(64) NOT NULL DEFAULT '',
  s_cseq     varchar(64) NOT NULL DEFAULT '',
  a_callid   varchar(255) NOT NULL DEFAULT '',
  a_uuid     varchar(255) NOT NULL DEFAULT '',
  b_uuid     varchar(255) NOT NULL DEFAULT '',
  a_contact  varchar(512) NOT NULL DEFAULT '',
  b_contact  varchar(512) NOT NULL DEFAULT '',
  as_contact varchar(512) NOT NULL DEFAULT '',
  bs_contact varchar(512) NOT NULL DEFAULT '',
  a_tag      varchar(255) NOT NULL DEFAULT '',
  b_tag      varchar(255) NOT NULL DEFAULT '',
  a_rr       text,
  b_rr       text,
  s_rr       text,
  iflags     integer NOT NULL DEFAULT 0,
  a_uri      varchar(255) NOT NULL DEFAULT '',
  b_uri      varchar(255) NOT NULL DEFAULT '',
  r_uri      varchar(255) NOT NULL DEFAULT '',
  a_srcaddr  varchar(128) NOT NULL DEFAULT '',
  b_srcaddr  varchar(128) NOT NULL DEFAULT '',
  a_socket   varchar(128) NOT NULL DEFAULT '',
  b_socket   varchar(128) NOT NULL DEFAULT ''
);
CREATE INDEX topos_d_a_callid_idx ON topos_d (a_callid);
CREATE INDEX topos_d_a_uuid_idx ON topos_d (a_uuid);
CREATE INDEX topos_d_b_uuid_idx ON topos_d (b_uuid);
INSERT INTO version (table_name, table_version) VALUES ('topos_d', 2);

CREATE TABLE topos_t (
  id         serial PRIMARY KEY,
  rectime    timestamp NOT NULL,
  x_context  varchar(64) NOT NULL DEFAULT '',
  s_method   varchar(64) NOT NULL DEFAULT '',
  s_cseq     varchar(64) NOT NULL DEFAULT '',
  a_callid   varchar(255) NOT NULL DEFAULT '',
  a_uuid     varchar(255) NOT NULL DEFAULT '',
  b_uuid     varchar(255) NOT NULL DEFAULT '',
  direction  integer NOT NULL DEFAULT 0,
  x_via      text,
  x_vbranch  varchar(255) NOT NULL DEFAULT '',
  x_rr       text,
  y_rr       text,
  s_rr       text,
  x_uri      varchar(255) NOT NULL DEFAULT '',
  a_contact  varchar(512) NOT NULL DEFAULT '',
  b_contact  varchar(512) NOT NULL DEFAULT '',
  as_contact varchar(512) NOT NULL DEFAULT '',
  bs_contact varchar(512) NOT NULL DEFAULT '',
  x_tag      varchar(255) NOT NULL DEFAULT '',
  a_tag      varchar(255) NOT NULL DEFAULT '',
  b_tag      varchar(255) NOT NULL DEFAULT '',
  a_srcaddr  varchar(255) NOT NULL DEFAULT '',
  b_srcaddr  varchar(255) NOT NULL DEFAULT '',
  a_socket   varchar(128) NOT NULL DEFAULT '',
  b_socket   varchar(128) NOT NULL DEFAULT ''
);
CREATE INDEX topos_t_a_callid_idx ON topos_t (a_callid);
CREATE INDEX topos_t_x_vbranch_idx ON topos_t (x_vbranch);
CREATE INDEX topos_t_a_uuid_idx ON topos_t (a_uuid);
INSERT INTO version (table_name, table_version) VALUES ('topos_t', 2);
