import { z } from 'zod';
import type { App } from '../http/app.ts';
import { badRequest } from '../http/problem.ts';
import { CHANNELS } from './channels/index.ts';
import { DEFAULT_TEMPLATES, EVENTS, LIMITS, renderOnce, TemplateError } from './templates.ts';

const SAMPLE_TIME = '2026-01-01T00:00:00.000Z';

/** Alerts for previews: what a template sees, with made-up values. */
const SAMPLE = [
  {
    fingerprint: 'a1b2c3d4e5f60718',
    name: 'DiskFull',
    state: 'firing' as const,
    severity: 'critical',
    source: 'alertmanager',
    labels: { alertname: 'DiskFull', instance: 'db-1', team: 'db' },
    annotations: { summary: 'Disk /var on db-1 is 97% full' },
    startsAt: SAMPLE_TIME,
    lastSeen: SAMPLE_TIME,
    instanceId: null,
  },
];

const Template = z.object({ title: z.string(), body: z.string() });

/** Notification templates (defaults, preview) and the channel kinds on offer. */
export function notifyRoutes(app: App, consoleUrl: () => string): void {
  const tags = ['notifications'];
  app.get(
    '/api/v1/notify/channel-kinds',
    { config: { permission: 'notify:read' }, schema: { tags, response: { 200: z.array(z.string()) } } },
    async () => CHANNELS.map((c) => c.kind),
  );
  app.get(
    '/api/v1/notify/templates/defaults',
    {
      config: { permission: 'notify:read' },
      schema: { tags, response: { 200: z.record(z.enum(EVENTS), Template) } },
    },
    async () => DEFAULT_TEMPLATES,
  );
  app.post(
    '/api/v1/notify/preview',
    {
      config: { permission: 'notify:read' },
      schema: {
        tags,
        summary: 'Render a template (or the default for the event) with sample alerts',
        body: z.object({
          event: z.enum(EVENTS),
          template: z
            .object({ title: z.string().max(LIMITS.titleChars), body: z.string().max(LIMITS.bodyChars) })
            .optional(),
        }),
        response: {
          200: z.object({
            title: z.string(),
            markdown: z.string(),
            payload: z.record(z.string(), z.unknown()).describe('the event a webhook receiver gets'),
            idempotencyKey: z.string(),
          }),
        },
      },
    },
    async (req) => {
      const template = req.body.template ?? DEFAULT_TEMPLATES[req.body.event];
      try {
        // Not cached: each keystroke of an editor is a new template, kept by no notification.
        return renderOnce(template, {
          event: req.body.event,
          alerts: SAMPLE,
          consoleUrl: consoleUrl(),
          actor: 'alice',
          note: 'looking into it',
          waitedMinutes: 15,
          idempotencyKey: 'preview',
        });
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        throw badRequest(`the template's ${err.part} ${err.message}`, [
          { path: `body.template.${err.part}`, message: err.message },
        ]);
      }
    },
  );
}
