import { describe, expect, it } from 'vitest';
import type { AlertSummary } from '../alerts/service.ts';
import { checkTemplate, DEFAULT_TEMPLATES, EVENTS, render } from './templates.ts';

const alert = (name: string, summary: string, severity = 'critical'): AlertSummary => ({
  fingerprint: `fp-${name}`,
  name,
  state: 'firing',
  severity,
  source: 'alertmanager',
  labels: { alertname: name, instance: 'db-1' },
  annotations: { summary },
  startsAt: '2026-01-01T00:00:00.000Z',
  lastSeen: '2026-01-01T00:00:00.000Z',
  instanceId: null,
});
const ctx = {
  alerts: [alert('DiskFull', 'disk <b>97%</b> full'), alert('HighLoad', '', 'warning')],
  consoleUrl: 'https://ops.example.com/',
  actor: 'alice',
  note: 'on it',
  waitedMinutes: 15,
  idempotencyKey: 'k',
};

describe('notification templates', () => {
  it.each([
    ['firing', '[FIRING:2] DiskFull, HighLoad', '2 alert(s) started firing'],
    ['resolved', '[RESOLVED:2] DiskFull, HighLoad', '2 alert(s) resolved'],
    ['acknowledged', '[ACK] DiskFull, HighLoad by alice', '> on it'],
    ['escalated', '[ESCALATED:2] DiskFull, HighLoad', 'within 15 minutes'],
  ] as const)('renders %s with its title and body', (event, title, inBody) => {
    const m = render(DEFAULT_TEMPLATES[event], { ...ctx, event });
    expect(m.title).toBe(title);
    expect(m.markdown).toContain(inBody);
    expect(m.markdown).toContain(
      '- **critical** DiskFull: disk <b>97%</b> full ([open](https://ops.example.com/alerts/fp-DiskFull))',
    );
    expect(m.markdown).toContain(
      '- **warning** HighLoad ([open](https://ops.example.com/alerts/fp-HighLoad))',
    );
  });

  it.each([
    [
      'a change in a large group names the change and counts the rest',
      { event: 'firing', firingCount: 10_002 },
      '[FIRING:10002] DiskFull, HighLoad',
      ['### 2 alert(s) started firing', '10000 other alert(s) of the group still firing'],
    ],
    [
      'a repeat lists a sample and counts the rest',
      { event: 'firing', firingCount: 500, repeat: true },
      '[FIRING:500] DiskFull, HighLoad',
      ['### Still firing: 500 alert(s)', '498 other alert(s) of the group still firing'],
    ],
    [
      'a resolution counts what still fires',
      { event: 'resolved', firingCount: 7, resolved: true },
      '[RESOLVED:2] DiskFull, HighLoad',
      ['### 2 alert(s) resolved', '7 other alert(s) of the group still firing'],
    ],
    [
      'an escalation counts every alert not acknowledged',
      { event: 'escalated', firingCount: 40 },
      '[ESCALATED:40] DiskFull, HighLoad',
      ['within 15 minutes: 40 alert(s)', '38 other alert(s) of the group still firing'],
    ],
  ] as const)('%s', (_, extra, title, inBody) => {
    const { resolved, ...given } = { resolved: false, ...extra };
    const alerts = resolved ? ctx.alerts.map((a) => ({ ...a, state: 'resolved' as const })) : ctx.alerts;
    const m = render(DEFAULT_TEMPLATES[given.event], { ...ctx, ...given, alerts });
    expect(m.title).toBe(title);
    for (const text of inBody) expect(m.markdown).toContain(text);
    expect(m.payload).toMatchObject({ firingCount: given.firingCount });
  });

  it('a message about every firing alert of its group mentions no others', () => {
    const m = render(DEFAULT_TEMPLATES.firing, { ...ctx, event: 'firing', firingCount: 2 });
    expect(m.markdown).not.toContain('other alert(s)');
    expect(m.payload).toMatchObject({ firingCount: 2, othersFiring: 0, repeat: false });
  });

  it('runs no code: a template can only read fields, and unknown ones render empty', () => {
    const m = render(
      {
        title: '{{constructor.constructor}}{{nope}}',
        body: '{{#alerts}}{{labels.instance}} {{process.env.HOME}}{{/alerts}}',
      },
      { ...ctx, event: 'firing' },
    );
    expect(m.title).toBe('');
    expect(m.markdown).toBe('db-1 db-1');
  });

  it('reports a template that does not parse, by part', () => {
    expect(checkTemplate({ title: '{{#alerts}}', body: 'ok' }).map((p) => p.path)).toEqual(['title']);
    for (const e of EVENTS) expect(checkTemplate(DEFAULT_TEMPLATES[e])).toEqual([]);
  });
});
