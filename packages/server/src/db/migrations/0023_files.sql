-- File pipeline (issue 17 §3). Agents watch folders and upload files to S3; the server keeps what
-- they reported (a file's current state is its report with the highest seq, every report once in
-- its history) and runs actions on uploaded files: routing rules choose them, tasks run them.

-- A watched folder as an agent reports it (agent.yaml `files.sources`).
CREATE TABLE file_sources (
  agent_id uuid NOT NULL,
  name text NOT NULL,
  labels jsonb NOT NULL DEFAULT '{}',
  first_seen timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agent_id, name)
);

-- One file: (agent, the agent's file id). Its columns are those of its newest report.
CREATE TABLE file_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id uuid NOT NULL,
  file_id text NOT NULL,
  source text NOT NULL,
  path text NOT NULL,
  size bigint NOT NULL,
  mtime timestamptz NOT NULL,
  hash text,
  labels jsonb NOT NULL DEFAULT '{}',
  state text NOT NULL CHECK (state IN ('detected', 'uploading', 'uploaded', 'failed')),
  seq bigint NOT NULL,
  bytes_uploaded bigint NOT NULL DEFAULT 0,
  error text,
  object jsonb,
  detected_at timestamptz NOT NULL,
  reported_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  -- Set once routing rules have made the file's tasks (at its first uploaded report).
  routed_at timestamptz,
  UNIQUE (agent_id, file_id)
);
CREATE INDEX file_events_unrouted ON file_events (received_at) WHERE state = 'uploaded' AND routed_at IS NULL;
CREATE INDEX file_events_recent ON file_events (reported_at DESC, id DESC);
CREATE INDEX file_events_state ON file_events (state, reported_at DESC, id DESC);
CREATE INDEX file_events_source ON file_events (agent_id, source, reported_at DESC, id DESC);

-- Every distinct report of a file, once: the file's timeline.
CREATE TABLE file_event_history (
  event_id uuid NOT NULL REFERENCES file_events (id) ON DELETE CASCADE,
  seq bigint NOT NULL,
  state text NOT NULL,
  at timestamptz NOT NULL,
  bytes_uploaded bigint NOT NULL DEFAULT 0,
  error text,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, seq)
);

-- An action an admin configured: its kind's settings, secrets sealed (never returned).
CREATE TABLE file_actions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE,
  kind text NOT NULL,
  config jsonb NOT NULL DEFAULT '{}',
  sealed_secrets text,
  timeout_ms integer NOT NULL DEFAULT 600000,
  max_attempts integer NOT NULL DEFAULT 3,
  max_concurrency integer NOT NULL DEFAULT 4,
  fallback_action_id uuid REFERENCES file_actions (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Which actions an uploaded file gets: the first enabled rule (by position) that matches.
CREATE TABLE file_routes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE,
  position integer NOT NULL DEFAULT 0,
  enabled boolean NOT NULL DEFAULT true,
  -- {pathGlob?, source?, agent?, labels?: {k: v}, minSize?, maxSize?, window?: {days?, from, to, tz?}}
  match jsonb NOT NULL DEFAULT '{}',
  action_ids uuid[] NOT NULL,
  mode text NOT NULL DEFAULT 'sequence' CHECK (mode IN ('sequence', 'parallel')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One action on one file. The idempotency key (file, action) makes a second trigger a no-op
-- unless asked for explicitly (a manual trigger gets a new key).
CREATE TABLE file_tasks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id uuid NOT NULL REFERENCES file_events (id) ON DELETE CASCADE,
  action_id uuid NOT NULL REFERENCES file_actions (id) ON DELETE CASCADE,
  route_id uuid REFERENCES file_routes (id) ON DELETE SET NULL,
  -- In a sequence, the task that must be done first.
  after_task_id uuid REFERENCES file_tasks (id) ON DELETE CASCADE,
  -- Set on a fallback task: the task whose failure started it.
  fallback_of uuid REFERENCES file_tasks (id) ON DELETE CASCADE,
  idempotency_key text NOT NULL UNIQUE,
  state text NOT NULL CHECK (state IN ('pending', 'processing', 'done', 'failed', 'retrying', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  cancel_requested boolean NOT NULL DEFAULT false,
  trigger text NOT NULL DEFAULT 'route' CHECK (trigger IN ('route', 'manual', 'retry', 'fallback')),
  claimed_by text,
  started_at timestamptz,
  finished_at timestamptz,
  duration_ms integer,
  error text,
  error_cause text,
  result jsonb,
  output text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX file_tasks_due ON file_tasks (next_attempt_at) WHERE state IN ('pending', 'retrying');
CREATE INDEX file_tasks_event ON file_tasks (event_id, created_at);
CREATE INDEX file_tasks_recent ON file_tasks (created_at DESC, id DESC);
CREATE INDEX file_tasks_state ON file_tasks (state, updated_at DESC);

-- Every state change of a task.
CREATE TABLE file_task_history (
  id bigserial PRIMARY KEY,
  task_id uuid NOT NULL REFERENCES file_tasks (id) ON DELETE CASCADE,
  from_state text,
  to_state text NOT NULL,
  reason text,
  actor text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX file_task_history_task ON file_task_history (task_id, id);
