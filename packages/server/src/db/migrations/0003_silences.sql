-- Silences: label matchers muting alerts between starts_at and ends_at. Expiring one early sets
-- ends_at; rows are kept for the record.
CREATE TABLE silences (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  matchers jsonb NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  comment text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);
CREATE INDEX silences_window_idx ON silences (ends_at, starts_at);
