-- The PostgreSQL schema (DOCMESH_STORE=postgres): the tables of db/migration (SQLite), plus the
-- job row's version (optimistic locking between replicas) and the documents' bytes (chunked).
-- Like the SQLite migrations: a released migration is never edited; changes are new versions.

CREATE TABLE documents (
  id          TEXT   NOT NULL PRIMARY KEY,  -- sha256:<hex>
  size_bytes  BIGINT NOT NULL,
  touched_ms  BIGINT NOT NULL               -- last upload or submit naming it (retention clock)
);

CREATE TABLE jobs (
  id           TEXT    NOT NULL PRIMARY KEY, -- job-<ULID>: sorts by creation time
  request_id   TEXT    UNIQUE,               -- NULL when the submit carried none; dedup across replicas
  state        INTEGER NOT NULL,             -- JobState number
  pipeline     TEXT    NOT NULL,
  document_id  TEXT    NOT NULL,
  create_ms    BIGINT  NOT NULL,
  end_ms       BIGINT,
  version      BIGINT  NOT NULL,             -- +1 per committed change; a save names the version it read
  job          BYTEA   NOT NULL,             -- Job message as last answered
  pipeline_def BYTEA   NOT NULL,             -- Pipeline message the job runs
  password     TEXT    NOT NULL,
  tracestate   TEXT    NOT NULL
);
CREATE INDEX jobs_state ON jobs (state, id);
CREATE INDEX jobs_end ON jobs (end_ms) WHERE end_ms IS NOT NULL;
CREATE INDEX jobs_document ON jobs (document_id);

CREATE TABLE job_labels (
  job_id TEXT NOT NULL,
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (job_id, key)
);
CREATE INDEX job_labels_kv ON job_labels (key, value);

CREATE TABLE tasks (
  job_id          TEXT   NOT NULL,
  stage           TEXT   NOT NULL,
  lease_token     TEXT   NOT NULL,
  lease_expire_ms BIGINT NOT NULL,
  ready_at_ms     BIGINT NOT NULL,
  ready_since_ms  BIGINT NOT NULL,
  PRIMARY KEY (job_id, stage)
);

-- Exactly one output per stage: the primary key refuses a second, whichever replica writes it.
CREATE TABLE outputs (
  job_id TEXT  NOT NULL,
  stage  TEXT  NOT NULL,
  output BYTEA NOT NULL,
  PRIMARY KEY (job_id, stage)
);

CREATE TABLE events (
  job_id   TEXT   NOT NULL,
  sequence BIGINT NOT NULL,
  event    BYTEA  NOT NULL,
  PRIMARY KEY (job_id, sequence)
);

-- Document bytes, content-addressed: a blob row appears with all its chunks in one transaction.
CREATE TABLE blobs (
  id          TEXT    NOT NULL PRIMARY KEY,  -- sha256:<hex>, as documents.id
  size_bytes  BIGINT  NOT NULL,
  chunk_bytes INTEGER NOT NULL               -- every chunk but the last has this size
);

CREATE TABLE blob_chunks (
  blob_id TEXT    NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
  idx     INTEGER NOT NULL,
  data    BYTEA   NOT NULL,
  PRIMARY KEY (blob_id, idx)
);
