import Mustache from 'mustache';
import { describe, expect, it } from 'vitest';
import type { AlertSummary } from '../alerts/service.ts';
import {
  checkTemplate,
  DEFAULT_TEMPLATES,
  EVENTS,
  fromMustache,
  type NotifyEvent,
  type RenderContext,
  render,
  renderOrDefault,
} from './templates.ts';

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

  it('reaches no prototype, global or file: only the own fields of the view', () => {
    const m = render(
      {
        title:
          '{{ constructor.constructor }}{{ nope }}{{ alerts.constructor.name }}{{ alerts[0].__proto__ }}',
        body: '{% for a in alerts %}{{ a.labels.instance }} {{ process.env.HOME }}{{ a.toString }}{% endfor %}',
      },
      { ...ctx, event: 'firing' },
    );
    expect(m.title).toBe('');
    expect(m.markdown).toBe('db-1 db-1');
    for (const tag of ['include', 'render', 'layout'])
      expect(checkTemplate({ title: 'x', body: `{% ${tag} "package.json" %}` })).toEqual([
        { path: 'body', message: expect.stringContaining(`tag "${tag}" not found`) },
      ]);
  });

  it('reports a template that does not parse or is too long, by part', () => {
    expect(checkTemplate({ title: '{% for a in alerts %}', body: 'ok' }).map((p) => p.path)).toEqual([
      'title',
    ]);
    expect(checkTemplate({ title: 'ok', body: '{{ x | no_such_filter }}' })).toEqual([
      { path: 'body', message: expect.stringContaining('undefined filter: no_such_filter') },
    ]);
    expect(checkTemplate({ title: 'x'.repeat(501), body: 'x'.repeat(20_001) })).toEqual([
      { path: 'title', message: 'is 501 characters long; at most 500 are allowed' },
      { path: 'body', message: 'is 20001 characters long; at most 20000 are allowed' },
    ]);
    for (const e of EVENTS) expect(checkTemplate(DEFAULT_TEMPLATES[e])).toEqual([]);
  });

  it('stops a template that nests loops exponentially, and renders the default for it', () => {
    const nest = (n: number) =>
      `{% for a in alerts %}${'{% for l in a.labelList %}{% for a in alerts %}'.repeat(n)}{{ l.name }}${'{% endfor %}{% endfor %}'.repeat(n)}{% endfor %}`;
    const started = performance.now();
    const out = renderOrDefault({ title: 'x', body: nest(30) }, { ...ctx, event: 'firing' });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(out.problem).toMatch(/^body failed to render: template render limit exceeded/);
    expect(out.message.title).toBe('[FIRING:2] DiskFull, HighLoad');
    const doubling =
      '{% assign s = "0123456789" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}';
    expect(renderOrDefault({ title: 'x', body: doubling }, { ...ctx, event: 'firing' }).problem).toMatch(
      /memory alloc limit exceeded/,
    );
  });
});

/** The defaults before the switch to Liquid, as sets stored then were written. */
const LEGACY_LIST = `{{#alerts}}
- **{{severity}}** {{name}}{{#summary}}: {{summary}}{{/summary}} ([open]({{link}}))
{{/alerts}}`;
const LEGACY_OTHERS = `{{#othersFiring}}
{{othersFiring}} other alert(s) of the group still firing
{{/othersFiring}}`;
const LEGACY: Record<NotifyEvent, { title: string; body: string }> = {
  firing: {
    title: '[FIRING:{{firingCount}}] {{groupName}}',
    body: `### {{#repeat}}Still firing: {{firingCount}} alert(s){{/repeat}}{{^repeat}}{{count}} alert(s) started firing{{/repeat}}\n${LEGACY_LIST}${LEGACY_OTHERS}`,
  },
  resolved: {
    title: '[RESOLVED:{{count}}] {{groupName}}',
    body: `### {{count}} alert(s) resolved\n${LEGACY_LIST}${LEGACY_OTHERS}`,
  },
  acknowledged: {
    title: '[ACK] {{groupName}} by {{actor}}',
    body: `### Acknowledged by {{actor}}\n{{#note}}> {{note}}\n{{/note}}${LEGACY_LIST}${LEGACY_OTHERS}`,
  },
  escalated: {
    title: '[ESCALATED:{{firingCount}}] {{groupName}}',
    body: `### Not acknowledged within {{waitedMinutes}} minutes: {{firingCount}} alert(s)\n${LEGACY_LIST}${LEGACY_OTHERS}`,
  },
};

describe('templates stored for Mustache', () => {
  // What the Mustache engine made of a template and this context, as notify/templates.ts did.
  const mustache = (t: { title: string; body: string }, c: RenderContext) => {
    const listedFiring = c.alerts.filter((a) => a.state === 'firing').length;
    const firingCount = c.firingCount ?? listedFiring;
    const v = {
      event: c.event,
      count: c.alerts.length,
      firingCount,
      othersFiring: Math.max(0, firingCount - listedFiring),
      repeat: c.repeat ?? false,
      groupName: [...new Set(c.alerts.map((a) => a.name))].join(', '),
      actor: c.actor ?? '',
      note: c.note ?? '',
      waitedMinutes: c.waitedMinutes ?? 0,
      consoleUrl: c.consoleUrl,
      alerts: c.alerts.map((a) => ({
        ...a,
        summary: a.annotations.summary ?? '',
        labelList: Object.entries(a.labels).map(([name, value]) => ({ name, value })),
        link: `${c.consoleUrl.replace(/\/$/, '')}/alerts/${a.fingerprint}`,
      })),
    };
    const verbatim = { escape: (s: string) => s };
    return {
      title: Mustache.render(t.title, v, {}, verbatim).replace(/\s+/g, ' ').trim(),
      markdown: Mustache.render(t.body, v, {}, verbatim).trim(),
    };
  };

  const written: [string, { title: string; body: string }][] = [
    ...EVENTS.map((e) => [`the old ${e} default`, LEGACY[e]] as [string, { title: string; body: string }]),
    [
      'a loop with a label',
      { title: '{{count}} ok', body: '{{#alerts}}- {{name}} on {{labels.instance}}\n{{/alerts}}' },
    ],
    [
      'labels listed, conditions and inversions',
      {
        title: '{{#repeat}}again{{/repeat}}{{^repeat}}new{{/repeat}} {{event}}',
        body: '{{#alerts}}{{name}}:{{#labelList}} {{name}}={{value}}{{/labelList}}{{#annotations.summary}} ({{annotations.summary}}){{/annotations.summary}}\n{{/alerts}}{{^alerts}}none{{/alerts}}{{! a comment }}{{{note}}}{{&actor}}',
      },
    ],
    ['an object section', { title: 't', body: '{{#alerts}}{{#labels}}{{instance}}{{/labels}}{{/alerts}}' }],
    ['nested loops', { title: 't', body: '{{#alerts}}{{#alerts}}{{name}}{{/alerts}}|{{/alerts}}' }],
  ];
  const contexts: [string, RenderContext][] = [
    ['a change', { ...ctx, event: 'firing' }],
    ['a repeat of a big group', { ...ctx, event: 'firing', firingCount: 500, repeat: true }],
    ['nothing to list', { ...ctx, alerts: [], event: 'resolved', note: '', actor: '' }],
    ['an acknowledgement', { ...ctx, event: 'acknowledged' }],
    ['an escalation', { ...ctx, event: 'escalated', firingCount: 40 }],
  ];

  it.each(written)('%s renders as it did', (_what, legacy) => {
    const liquid = fromMustache(legacy);
    expect(checkTemplate(liquid)).toEqual([]);
    for (const [, c] of contexts) {
      const { title, markdown } = render(liquid, c);
      expect({ title, markdown }).toEqual(mustache(legacy, c));
    }
  });

  it('keeps text that looks like Liquid as text', () => {
    const liquid = fromMustache({ title: 'a {% b', body: '{{{x}}} {%' });
    expect(render(liquid, { ...ctx, event: 'firing' })).toMatchObject({ title: 'a {% b', markdown: '{%' });
  });
});
