-- Alerting rule groups (issue 16 §2): every save is a revision holding the whole group (its
-- rules with their stable ids), so a diff, a restore and a sync are about one document.
CREATE TABLE rule_groups (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE,
  datasource_id uuid REFERENCES datasources (id) ON DELETE SET NULL,
  revision integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rule_group_revisions (
  group_id uuid NOT NULL REFERENCES rule_groups (id) ON DELETE CASCADE,
  revision integer NOT NULL,
  content jsonb NOT NULL,
  author text NOT NULL,
  comment text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, revision)
);
