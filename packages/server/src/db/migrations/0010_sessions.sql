-- Sessions: one row per login (the family of its rotating refresh tokens). Access tokens name
-- their session, and every request checks it, so a logout, a disabled user or a changed password
-- ends access at once rather than when the token lapses.
CREATE TABLE sessions (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz
);
CREATE INDEX sessions_user_open_idx ON sessions (user_id) WHERE ended_at IS NULL;
INSERT INTO sessions (id, user_id, created_at, ended_at)
  SELECT family, user_id, min(created_at), CASE WHEN bool_or(revoked_at IS NULL) THEN NULL ELSE now() END
  FROM refresh_tokens GROUP BY family, user_id;

-- Failed logins per account name and per source address, for back-off. Shared by replicas, so
-- spreading guesses over them gains nothing.
CREATE TABLE login_throttle (
  key text PRIMARY KEY,
  failures integer NOT NULL,
  last_failure_at timestamptz NOT NULL,
  blocked_until timestamptz
);
CREATE INDEX login_throttle_last_failure_idx ON login_throttle (last_failure_at);

-- The signing secret was kept here in clear; it is now sealed with the encryption key under
-- another name. Access tokens signed with the old one stop working; clients refresh.
DELETE FROM settings WHERE key = 'jwt_secret';
