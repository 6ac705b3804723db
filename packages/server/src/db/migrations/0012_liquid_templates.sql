-- Notification templates are Liquid from this version on (they were Mustache). Sets stored
-- before keep their text and are marked; the server converts them as it reads them
-- (notify/templates.ts fromMustache) and stores them in Liquid when they are next saved.
ALTER TABLE notify_templates ADD COLUMN syntax text NOT NULL DEFAULT 'mustache';
ALTER TABLE notify_templates ALTER COLUMN syntax SET DEFAULT 'liquid';
