-- An agent is listed under the name it reports (agent.yaml `agent.name`, default its hostname),
-- the name its health alerts carry as `host`; the API key it signs in with keeps identifying it
-- and is shown beside the name. Rows written before this column existed took the key's name.
ALTER TABLE agents ADD COLUMN key_name text;
UPDATE agents SET key_name = name;
ALTER TABLE agents ALTER COLUMN key_name SET NOT NULL;
