-- Ownership (issue 14): a job belongs to the principal that submitted it, and request_id
-- deduplicates per principal. SQLite cannot drop the old UNIQUE (request_id), so the jobs table
-- is rebuilt. Jobs from before have owner '' (no principal): only those who see all jobs see them.

CREATE TABLE jobs_v2 (
  id           TEXT    NOT NULL PRIMARY KEY,
  owner        TEXT    NOT NULL,             -- Principal name of the submitter
  request_id   TEXT,                         -- NULL when the submit carried none
  state        INTEGER NOT NULL,
  pipeline     TEXT    NOT NULL,
  document_id  TEXT    NOT NULL,
  create_ms    INTEGER NOT NULL,
  end_ms       INTEGER,
  job          BLOB    NOT NULL,
  pipeline_def BLOB    NOT NULL,
  password     TEXT    NOT NULL,
  tracestate   TEXT    NOT NULL,
  UNIQUE (owner, request_id)
);
INSERT INTO jobs_v2 (id, owner, request_id, state, pipeline, document_id, create_ms, end_ms, job, pipeline_def, password, tracestate)
  SELECT id, '', request_id, state, pipeline, document_id, create_ms, end_ms, job, pipeline_def, password, tracestate FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v2 RENAME TO jobs;
CREATE INDEX jobs_state ON jobs (state, id);
CREATE INDEX jobs_end ON jobs (end_ms) WHERE end_ms IS NOT NULL;
CREATE INDEX jobs_document ON jobs (document_id, owner);
CREATE INDEX jobs_owner ON jobs (owner, id);

-- Who uploaded a document (content-addressed, so several principals may have): a client may
-- name a document_id only when it uploaded it or a job it may see uses it.
CREATE TABLE document_uploaders (
  document_id TEXT NOT NULL,
  principal   TEXT NOT NULL,
  PRIMARY KEY (document_id, principal)
);
