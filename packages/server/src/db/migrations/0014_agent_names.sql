-- An agent is listed under the name it reports (agent.yaml `agent.name`, default its hostname),
-- the name its health alerts carry as `host`; the API key it signs in with keeps identifying it
-- and is shown beside the name. Rows written before this column existed took the key's name.
ALTER TABLE agents ADD COLUMN key_name text;
UPDATE agents SET key_name = name;
ALTER TABLE agents ALTER COLUMN key_name SET NOT NULL;
-- One name, one agent: an agent cannot be listed under a name another agent holds. Key names
-- were never unique, so earlier duplicates get their id's prefix to keep the index creatable.
UPDATE agents a SET name = a.name || ' (' || left(a.id::text, 8) || ')'
  WHERE EXISTS (SELECT 1 FROM agents b WHERE b.name = a.name AND b.id < a.id);
CREATE UNIQUE INDEX agents_name_key ON agents (name);
