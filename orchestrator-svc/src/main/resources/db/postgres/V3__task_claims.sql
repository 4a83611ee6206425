-- Claiming READY tasks across replicas (issue 16): a poll takes the best READY task whose job row
-- no other replica holds, with one SELECT … FOR UPDATE OF jobs SKIP LOCKED over these columns, so
-- two replicas never race for the same task. The task's state stays in the job row's message;
-- `ready` mirrors TASK_STATE_READY and is written with it, in the same statement as the other task
-- columns (PostgresJobStore.save). Rows of jobs stored before this version are backfilled by the
-- Java migration V4 (the state is inside the job's protobuf, out of SQL's reach).
ALTER TABLE tasks
  ADD COLUMN processor TEXT    NOT NULL DEFAULT '',
  ADD COLUMN priority  INTEGER NOT NULL DEFAULT 0,    -- the job's priority (dispatch order)
  ADD COLUMN ready     BOOLEAN NOT NULL DEFAULT false;

-- Per processor in dispatch order (ReadyQueue's: priority, then READY time): a claim reads the head
-- of each of the poller's processors.
CREATE INDEX tasks_ready ON tasks (processor, priority DESC, ready_since_ms, job_id, stage) WHERE ready;
