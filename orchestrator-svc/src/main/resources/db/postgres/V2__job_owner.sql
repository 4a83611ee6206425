-- Ownership (issue 14), as db/migration/V2__job_owner.sql for SQLite: a job belongs to the principal
-- that submitted it, and request_id deduplicates per principal. Jobs from before have owner ''
-- (no principal): only those who see all jobs see them.
ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ALTER COLUMN owner DROP DEFAULT;
ALTER TABLE jobs DROP CONSTRAINT jobs_request_id_key;
-- Dedup across replicas: INSERT … ON CONFLICT (owner, request_id) names this constraint's columns.
ALTER TABLE jobs ADD CONSTRAINT jobs_owner_request_id_key UNIQUE (owner, request_id);
DROP INDEX jobs_document;
CREATE INDEX jobs_document ON jobs (document_id, owner);
CREATE INDEX jobs_owner ON jobs (owner, id);

-- Who uploaded a document (content-addressed, so several principals may have): a client may
-- name a document_id only when it uploaded it or a job it may see uses it.
CREATE TABLE document_uploaders (
  document_id TEXT NOT NULL,
  principal   TEXT NOT NULL,
  PRIMARY KEY (document_id, principal)
);
