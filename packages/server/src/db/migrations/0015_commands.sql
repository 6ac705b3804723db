-- The command channel: work for one agent (a restart, a deploy step, a config sync), delivered
-- over the long poll the agent opens, at least once, until its deadline. agent_id is the id of
-- the agent's API key; no foreign key to agents, so a command's record outlives forgetting the
-- agent. agent_name is the key's name when the command was made, for people.
CREATE TABLE commands (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id uuid NOT NULL,
  agent_name text NOT NULL,
  kind text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  state text NOT NULL CHECK (state IN ('queued', 'delivered', 'running', 'succeeded', 'failed', 'expired', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  deadline timestamptz NOT NULL,
  delivered_at timestamptz,
  result jsonb,
  error text,
  output_lines integer NOT NULL DEFAULT 0,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
-- What a poll reads: the agent's open commands, oldest first.
CREATE INDEX commands_open_idx ON commands (agent_id, created_at, id)
  WHERE state IN ('queued', 'delivered', 'running');
-- What the housekeeping pass reads: open commands by deadline.
CREATE INDEX commands_deadline_idx ON commands (deadline) WHERE state IN ('queued', 'delivered', 'running');
CREATE INDEX commands_created_idx ON commands (created_at DESC, id DESC);
CREATE INDEX commands_agent_created_idx ON commands (agent_id, created_at DESC, id DESC);

-- What a command printed, as the agent numbered it: a batch sent twice is stored once.
CREATE TABLE command_output (
  command_id uuid NOT NULL REFERENCES commands (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  stage text NOT NULL,
  level text NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
  line text NOT NULL,
  at timestamptz NOT NULL,
  PRIMARY KEY (command_id, seq)
);
