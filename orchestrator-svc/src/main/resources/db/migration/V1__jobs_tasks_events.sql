-- Authoritative state of the orchestrator. Protobuf blobs hold what is only ever read whole;
-- columns hold what is filtered, ordered or joined on.

CREATE TABLE documents (
  id          TEXT    NOT NULL PRIMARY KEY,  -- sha256:<hex>
  size_bytes  INTEGER NOT NULL,
  touched_ms  INTEGER NOT NULL               -- last upload or submit naming it (retention clock)
);

CREATE TABLE jobs (
  id           TEXT    NOT NULL PRIMARY KEY, -- job-<ULID>: sorts by creation time
  request_id   TEXT    UNIQUE,               -- NULL when the submit carried none
  state        INTEGER NOT NULL,             -- JobState number
  pipeline     TEXT    NOT NULL,
  document_id  TEXT    NOT NULL,
  create_ms    INTEGER NOT NULL,
  end_ms       INTEGER,
  job          BLOB    NOT NULL,             -- Job message as last answered
  pipeline_def BLOB    NOT NULL,             -- Pipeline message the job runs
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

-- Lease and scheduling facts of a task that the Job message does not carry.
CREATE TABLE tasks (
  job_id          TEXT    NOT NULL,
  stage           TEXT    NOT NULL,
  lease_token     TEXT    NOT NULL,
  lease_expire_ms INTEGER NOT NULL,
  ready_at_ms     INTEGER NOT NULL,           -- not dispatched before (retry backoff)
  ready_since_ms  INTEGER NOT NULL,           -- when it last became READY (queue age)
  PRIMARY KEY (job_id, stage)
);

-- Exactly one output per stage: the primary key refuses a second.
CREATE TABLE outputs (
  job_id TEXT NOT NULL,
  stage  TEXT NOT NULL,
  output BLOB NOT NULL,                       -- StageOutput message
  PRIMARY KEY (job_id, stage)
);

CREATE TABLE events (
  job_id   TEXT    NOT NULL,
  sequence INTEGER NOT NULL,
  event    BLOB    NOT NULL,                  -- JobEvent message
  PRIMARY KEY (job_id, sequence)
);
