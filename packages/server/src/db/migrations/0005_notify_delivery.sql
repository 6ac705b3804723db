-- Notification rules, template sets, the routing state (groups and their members), and the
-- outbox with one record per delivery attempt.
CREATE TABLE notify_templates (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE,
  templates jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE notify_channels ADD COLUMN template_id uuid REFERENCES notify_templates (id);

CREATE TABLE notify_rules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE,
  enabled boolean NOT NULL DEFAULT true,
  spec jsonb NOT NULL,
  template_id uuid REFERENCES notify_templates (id),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every alert history entry waits here until the router has read it. Written by a trigger in
-- the same transaction as the history, so no change is missed and none is read twice.
CREATE TABLE notify_inbox (
  history_id bigint PRIMARY KEY
);

CREATE FUNCTION notify_inbox_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO notify_inbox (history_id) VALUES (NEW.id);
  RETURN NULL;
END $$;

CREATE TRIGGER alert_history_to_notify_inbox AFTER INSERT ON alert_history
  FOR EACH ROW EXECUTE FUNCTION notify_inbox_add();

-- A notification group: the alerts of one rule with the same group-by label values.
-- `next_check_at`: when the router looks at it again (an alert changed, a timer is due).
CREATE TABLE notify_groups (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  rule_id uuid NOT NULL REFERENCES notify_rules (id) ON DELETE CASCADE,
  group_key text NOT NULL,
  labels jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  last_sent_at timestamptz,
  next_check_at timestamptz,
  seq int NOT NULL DEFAULT 0,
  step int NOT NULL DEFAULT 0,
  escalate_at timestamptz,
  UNIQUE (rule_id, group_key)
);
CREATE INDEX notify_groups_due_idx ON notify_groups (next_check_at) WHERE next_check_at IS NOT NULL;

-- `notified`: what the group's last message said about the alert (firing, acknowledged), for
-- the episode `instance_id`.
CREATE TABLE notify_members (
  group_id uuid NOT NULL REFERENCES notify_groups (id) ON DELETE CASCADE,
  fingerprint text NOT NULL REFERENCES alerts (fingerprint),
  instance_id uuid,
  notified text,
  PRIMARY KEY (group_id, fingerprint)
);

CREATE TABLE notify_outbox (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  rule_id uuid REFERENCES notify_rules (id) ON DELETE SET NULL,
  channel_id uuid NOT NULL REFERENCES notify_channels (id) ON DELETE CASCADE,
  event text NOT NULL,
  title text NOT NULL,
  markdown text NOT NULL,
  payload jsonb NOT NULL,
  idempotency_key text NOT NULL UNIQUE,
  state text NOT NULL DEFAULT 'pending',
  attempts int NOT NULL DEFAULT 0,
  max_attempts int NOT NULL,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
CREATE INDEX notify_outbox_due_idx ON notify_outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX notify_outbox_state_idx ON notify_outbox (state, created_at DESC);

CREATE TABLE notify_attempts (
  id bigserial PRIMARY KEY,
  outbox_id uuid NOT NULL REFERENCES notify_outbox (id) ON DELETE CASCADE,
  channel_id uuid NOT NULL,
  attempt int NOT NULL,
  status text NOT NULL,
  response_code int,
  error text,
  ms int,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notify_attempts_outbox_idx ON notify_attempts (outbox_id, attempt);
CREATE INDEX notify_attempts_channel_idx ON notify_attempts (channel_id, at DESC);
CREATE INDEX notify_attempts_at_idx ON notify_attempts (at DESC, id DESC);
