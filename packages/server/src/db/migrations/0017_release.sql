-- The release manager: projects → environments → targets (an agent each) and versions; deploy
-- tasks with a row per target; and installations, one row per target saying which version it
-- has and in what state. Auto-select reads installations, so they must always be true: the
-- runner writes a target's row in the transaction that records that target's outcome.
CREATE TABLE release_projects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE,
  description text NOT NULL DEFAULT '',
  container_naming jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX release_projects_created_idx ON release_projects (created_at, id);

CREATE TABLE release_environments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES release_projects (id) ON DELETE CASCADE,
  name text NOT NULL,
  release_window jsonb,
  approval_required boolean NOT NULL DEFAULT false,
  approvers jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, name)
);

-- A target is one agent in one environment of a project. No cascade from agents: forgetting an
-- agent that still has targets is refused rather than silently dropping its installations.
CREATE TABLE release_targets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES release_projects (id) ON DELETE CASCADE,
  environment_id uuid NOT NULL REFERENCES release_environments (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id),
  labels jsonb NOT NULL DEFAULT '{}',
  priority integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (environment_id, agent_id)
);
CREATE INDEX release_targets_project_idx ON release_targets (project_id, created_at, id);

CREATE TABLE release_versions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES release_projects (id) ON DELETE CASCADE,
  version text NOT NULL,
  install_script text NOT NULL DEFAULT '',
  update_script text NOT NULL DEFAULT '',
  rollback_script text NOT NULL DEFAULT '',
  uninstall_script text NOT NULL DEFAULT '',
  artifact_url text,
  artifact_sha256 text,
  process_config jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'deprecated')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, version)
);
CREATE INDEX release_versions_project_idx ON release_versions (project_id, created_at, id);

CREATE TABLE release_tasks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES release_projects (id) ON DELETE CASCADE,
  environment_id uuid NOT NULL REFERENCES release_environments (id) ON DELETE CASCADE,
  version_id uuid NOT NULL REFERENCES release_versions (id) ON DELETE CASCADE,
  operation text NOT NULL CHECK (operation IN ('deploy', 'install', 'update', 'rollback', 'uninstall')),
  auto_select_clients boolean NOT NULL DEFAULT false,
  source_version text,
  strategy jsonb NOT NULL,
  failure_strategy text NOT NULL CHECK (failure_strategy IN ('continue', 'pause', 'abort')),
  state text NOT NULL CHECK (state IN ('awaiting_approval', 'pending', 'running', 'paused', 'succeeded', 'failed', 'cancelled')),
  scheduled_at timestamptz,
  approved_by text,
  approved_at timestamptz,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX release_tasks_project_idx ON release_tasks (project_id, created_at DESC, id DESC);

CREATE TABLE release_task_targets (
  task_id uuid NOT NULL REFERENCES release_tasks (id) ON DELETE CASCADE,
  target_id uuid NOT NULL REFERENCES release_targets (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL,
  batch integer NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
  command_id uuid,
  error text,
  started_at timestamptz,
  finished_at timestamptz,
  PRIMARY KEY (task_id, target_id)
);

-- One row per target: what it has now. version is kept as text so the row stays true if the
-- version record is deleted.
CREATE TABLE release_installations (
  target_id uuid PRIMARY KEY REFERENCES release_targets (id) ON DELETE CASCADE,
  project_id uuid NOT NULL REFERENCES release_projects (id) ON DELETE CASCADE,
  environment_id uuid NOT NULL REFERENCES release_environments (id) ON DELETE CASCADE,
  version text NOT NULL,
  state text NOT NULL CHECK (state IN ('installed', 'failed', 'uninstalled', 'rolled_back')),
  task_id uuid REFERENCES release_tasks (id) ON DELETE SET NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX release_installations_project_idx ON release_installations (project_id, version, environment_id);
