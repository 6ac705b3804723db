import { describe, expect, it } from 'vitest';
import { fingerprintOf } from './fingerprint.ts';
import {
  IngestError,
  normaliseSeverity,
  parseAlertmanager,
  parseGeneric,
  parseVmalert,
  type Severity,
} from './ingest.ts';

const NOW = new Date('2024-05-01T12:00:00Z');

function problemsOf(parse: () => unknown): string[] {
  try {
    parse();
  } catch (err) {
    expect(err).toBeInstanceOf(IngestError);
    return (err as IngestError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the payload to be rejected');
}

const diskFull = { alertname: 'DiskFull', instance: 'db-1:9100', severity: 'critical' };

/** What Alertmanager 0.25+ posts, including fields newer than the documented v4 example. */
function alertmanagerMessage(alerts: unknown[], extra: Record<string, unknown> = {}) {
  return {
    receiver: 'opsfleet',
    status: 'firing',
    alerts,
    groupLabels: { alertname: 'DiskFull' },
    commonLabels: { alertname: 'DiskFull' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: '{}:{alertname="DiskFull"}',
    truncatedAlerts: 0,
    routeLabels: { team: 'db' },
    notification_reason: 'new_alerts',
    ...extra,
  };
}

const amFiring = {
  status: 'firing',
  labels: diskFull,
  annotations: { summary: '/var is 97% full' },
  startsAt: '2024-05-01T11:58:30.123456789Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus:9090/graph?g0.expr=disk',
  fingerprint: 'a1b2c3d4e5f60718',
  silencedBy: [],
};

describe('parseAlertmanager', () => {
  it('reads a webhook message, ignoring fields it does not know', () => {
    const resolved = {
      ...amFiring,
      status: 'resolved',
      labels: { ...diskFull, instance: 'db-2:9100' },
      endsAt: '2024-05-01T20:05:00+08:00',
      fingerprint: 'ffee000011112222',
    };
    expect(parseAlertmanager(alertmanagerMessage([amFiring, resolved]))).toEqual([
      {
        fingerprint: fingerprintOf(diskFull),
        status: 'firing',
        labels: diskFull,
        annotations: { summary: '/var is 97% full', source_fingerprint: 'a1b2c3d4e5f60718' },
        startsAt: new Date('2024-05-01T11:58:30.123Z'),
        endsAt: null,
        generatorURL: 'http://prometheus:9090/graph?g0.expr=disk',
        source: 'alertmanager',
      },
      {
        fingerprint: fingerprintOf({ ...diskFull, instance: 'db-2:9100' }),
        status: 'resolved',
        labels: { ...diskFull, instance: 'db-2:9100' },
        annotations: { summary: '/var is 97% full', source_fingerprint: 'ffee000011112222' },
        startsAt: new Date('2024-05-01T11:58:30.123Z'),
        endsAt: new Date('2024-05-01T12:05:00Z'),
        generatorURL: 'http://prometheus:9090/graph?g0.expr=disk',
        source: 'alertmanager',
      },
    ]);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['null', null],
  ])('computes the fingerprint from the labels when it is %s', (_how, fingerprint) => {
    const [alert] = parseAlertmanager(alertmanagerMessage([{ ...amFiring, fingerprint }]));
    expect(alert!.fingerprint).toBe(fingerprintOf(diskFull));
  });

  it.each([
    ["Go's zero time", '0001-01-01T00:00:00Z', null],
    ["Go's zero time with a fraction", '0001-01-01T00:00:00.000Z', null],
    ['null', null, null],
    ['absent', undefined, null],
    ['a real time', '2024-05-01T12:30:00Z', new Date('2024-05-01T12:30:00Z')],
  ])('endsAt %s → %j', (_what, endsAt, expected) => {
    const [alert] = parseAlertmanager(alertmanagerMessage([{ ...amFiring, endsAt }]));
    expect(alert!.endsAt).toEqual(expected);
  });

  it('fills absent annotations and an empty generatorURL with empty values', () => {
    const [alert] = parseAlertmanager(
      alertmanagerMessage([{ ...amFiring, annotations: undefined, generatorURL: '' }]),
    );
    expect(alert).toMatchObject({ annotations: {}, generatorURL: null });
  });

  it('accepts a message without alerts', () => {
    expect(parseAlertmanager(alertmanagerMessage([]))).toEqual([]);
  });

  it.each([
    [
      'another webhook version',
      alertmanagerMessage([amFiring], { version: '3' }),
      ['version: must be "4": only Alertmanager webhook version 4 is understood, got string "3"'],
    ],
    [
      'the version as a number',
      alertmanagerMessage([amFiring], { version: 4 }),
      ['version: must be "4": only Alertmanager webhook version 4 is understood, got number 4'],
    ],
    [
      'no version',
      { alerts: [amFiring] },
      ['version: is required: "4", the Alertmanager webhook message version'],
    ],
    [
      'a vmalert list sent to the Alertmanager endpoint',
      [amFiring],
      [
        '(root): must be an Alertmanager webhook message (an object with "version": "4" and "alerts"), got a list',
      ],
    ],
    ['no alerts', { version: '4' }, ['alerts: is required: the list of alerts']],
    [
      'a bad start time in the third alert',
      alertmanagerMessage([amFiring, amFiring, { ...amFiring, startsAt: 'yesterday' }]),
      [
        'alerts[2].startsAt: "yesterday" is not a valid RFC 3339 time; write it like "2024-05-01T12:00:00Z" or "2024-05-01T20:00:00+08:00"',
      ],
    ],
    [
      'a numeric label value',
      alertmanagerMessage([{ ...amFiring, labels: { ...diskFull, port: 9100 } }]),
      [
        'alerts[0].labels.port: must be a string (label values are text: quote numbers and booleans, e.g. "5"), got number 9100',
      ],
    ],
    [
      'labels as a list',
      alertmanagerMessage([{ ...amFiring, labels: ['DiskFull'] }]),
      [
        'alerts[0].labels: must be an object of label names to string values, e.g. {"alertname": "DiskFull"}, got a list',
      ],
    ],
    [
      'no labels',
      alertmanagerMessage([{ ...amFiring, labels: {} }]),
      [
        'alerts[0].labels: must have at least one label, e.g. {"alertname": "DiskFull"}: the labels identify the alert',
      ],
    ],
    [
      'a pending alert',
      alertmanagerMessage([{ ...amFiring, status: 'pending' }]),
      ['alerts[0].status: must be "firing" or "resolved", got string "pending"'],
    ],
    [
      'an alert that is not an object',
      alertmanagerMessage(['DiskFull']),
      ['alerts[0]: must be an alert object, got string "DiskFull"'],
    ],
    [
      'several problems at once',
      alertmanagerMessage([{ ...amFiring, status: undefined, annotations: { runbook: false } }]),
      [
        'alerts[0].status: is required: "firing" or "resolved"',
        'alerts[0].annotations.runbook: must be a string (annotation values are text: quote numbers and booleans, e.g. "5"), got boolean false',
      ],
    ],
  ])('rejects %s, naming the field and the fix', (_what, body, expected) => {
    expect(problemsOf(() => parseAlertmanager(body))).toEqual(expected);
  });

  it('lists the first 20 problems of a large bad batch and counts the rest', () => {
    const bad = Array.from({ length: 500 }, () => ({ ...amFiring, startsAt: 'soon' }));
    const problems = problemsOf(() => parseAlertmanager(alertmanagerMessage(bad)));
    expect(problems).toHaveLength(21);
    expect(problems[19]).toMatch(/^alerts\[19\]\.startsAt: "soon" is not a valid RFC 3339 time/);
    expect(problems[20]).toBe('(body): and 480 more problems');
  });

  it('quotes at most 40 characters of a bad value', () => {
    const body = alertmanagerMessage([{ ...amFiring, startsAt: `2024-05-01${'x'.repeat(10_000)}` }]);
    expect(problemsOf(() => parseAlertmanager(body))).toEqual([
      `alerts[0].startsAt: "2024-05-01${'x'.repeat(30)}…" is not a valid RFC 3339 time; write it like "2024-05-01T12:00:00Z" or "2024-05-01T20:00:00+08:00"`,
    ]);
  });

  it('says in the error message what was wrong, for logs', () => {
    const body = alertmanagerMessage([{ ...amFiring, startsAt: 'soon' }]);
    expect(() => parseAlertmanager(body)).toThrow(
      /^invalid alertmanager payload: alerts\[0\]\.startsAt: "soon" is not a valid RFC 3339 time/,
    );
  });
});

describe('start times', () => {
  const startOf = (startsAt: unknown) => parseGeneric({ name: 'DiskFull', startsAt }, NOW)[0]!.startsAt;

  it.each([
    ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01t12:00:00z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T12:00:00.5Z', '2024-05-01T12:00:00.500Z'],
    ['2024-05-01T12:00:00.123456789Z', '2024-05-01T12:00:00.123Z'],
    ['2024-05-01T20:00:00+08:00', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T06:30:00-05:30', '2024-05-01T12:00:00.000Z'],
    ['2024-05-02T01:00:00+13:00', '2024-05-01T12:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(startOf(text)?.toISOString()).toBe(iso);
  });

  it.each([
    '2024-02-30T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-05-01T24:00:00Z',
    '2024-05-01T12:60:00Z',
    '2024-05-01T12:00:60Z',
    '2024-05-01T12:00:00',
    '2024-05-01 12:00:00Z',
    '2024-05-01T12:00Z',
    '2024-05-01',
    '2024-05-01T12:00:00+24:00',
    '2024-05-01T12:00:00+0800',
    '1714564800',
    '',
  ])('rejects %j', (text) => {
    expect(problemsOf(() => startOf(text))).toEqual([
      `startsAt: ${JSON.stringify(text)} is not a valid RFC 3339 time; write it like "2024-05-01T12:00:00Z" or "2024-05-01T20:00:00+08:00"`,
    ]);
  });

  it('rejects epoch seconds, saying what it expected', () => {
    expect(problemsOf(() => startOf(1714564800))).toEqual([
      'startsAt: must be an RFC 3339 time such as "2024-05-01T12:00:00Z" or "2024-05-01T20:00:00+08:00", got number 1714564800',
    ]);
  });
});

describe('label size', () => {
  it.each([
    [
      'Alertmanager',
      () =>
        parseAlertmanager(alertmanagerMessage([{ ...amFiring, labels: { alertname: 'x'.repeat(3000) } }])),
      'alerts[0].labels',
    ],
    [
      'vmalert',
      () =>
        parseVmalert([{ labels: { alertname: 'x'.repeat(3000) }, startsAt: '2024-05-01T11:00:00Z' }], NOW),
      '[0].labels',
    ],
  ])('%s: refuses labels over 2,048 bytes, naming the alert', (_sender, parse, path) => {
    expect(problemsOf(parse)[0]).toMatch(
      new RegExp(`^${path.replace(/[[\]]/g, '\\$&')}: the labels take 3009 bytes`),
    );
  });
});

describe('parseVmalert', () => {
  const vmalert = (endsAt?: string) => ({
    labels: diskFull,
    annotations: { summary: '/var is 97% full' },
    startsAt: '2024-05-01T11:58:30Z',
    ...(endsAt === undefined ? {} : { endsAt }),
    generatorURL: 'http://vmalert:8880/vmalert/alert?group_id=1&alert_id=2',
  });

  it.each([
    ['endsAt a few evaluations ahead (still firing)', '2024-05-01T12:04:00Z', 'firing'],
    ['endsAt exactly now', '2024-05-01T12:00:00Z', 'resolved'],
    ['endsAt in the past (the one resolved notice)', '2024-05-01T11:59:59Z', 'resolved'],
    ['endsAt left out', undefined, 'firing'],
    ["endsAt Go's zero time", '0001-01-01T00:00:00Z', 'firing'],
  ])('%s → %s', (_what, endsAt, status) => {
    const [alert] = parseVmalert([vmalert(endsAt)], NOW);
    expect(alert!.status).toBe(status);
  });

  it('normalises every alert of the list, with the fingerprint Alertmanager would give it', () => {
    const body = [vmalert('2024-05-01T12:04:00Z'), { ...vmalert(), labels: { alertname: 'Up' }, unknown: 1 }];
    expect(parseVmalert(body, NOW)).toEqual([
      {
        fingerprint: fingerprintOf(diskFull),
        status: 'firing',
        labels: diskFull,
        annotations: { summary: '/var is 97% full' },
        startsAt: new Date('2024-05-01T11:58:30Z'),
        endsAt: new Date('2024-05-01T12:04:00Z'),
        generatorURL: 'http://vmalert:8880/vmalert/alert?group_id=1&alert_id=2',
        source: 'vmalert',
      },
      {
        fingerprint: fingerprintOf({ alertname: 'Up' }),
        status: 'firing',
        labels: { alertname: 'Up' },
        annotations: { summary: '/var is 97% full' },
        startsAt: new Date('2024-05-01T11:58:30Z'),
        endsAt: null,
        generatorURL: 'http://vmalert:8880/vmalert/alert?group_id=1&alert_id=2',
        source: 'vmalert',
      },
    ]);
  });

  it('gives the same alert the same fingerprint as when it comes through Alertmanager', () => {
    const viaAlertmanager = parseAlertmanager(alertmanagerMessage([{ ...amFiring, fingerprint: '' }]));
    expect(parseVmalert([vmalert()], NOW)[0]!.fingerprint).toBe(viaAlertmanager[0]!.fingerprint);
  });

  it.each([
    [
      'an Alertmanager message',
      alertmanagerMessage([amFiring]),
      ['(root): must be the JSON list of alerts vmalert posts to its notifier URL, got an object'],
    ],
    [
      'an alert without a start',
      [{ labels: diskFull }],
      [
        '[0].startsAt: is required: an RFC 3339 time such as "2024-05-01T12:00:00Z" or "2024-05-01T20:00:00+08:00"',
      ],
    ],
    [
      'a null label value in the second alert',
      [vmalert(), { ...vmalert(), labels: { alertname: null } }],
      [
        '[1].labels.alertname: must be a string (label values are text: quote numbers and booleans, e.g. "5"), got null',
      ],
    ],
  ])('rejects %s', (_what, body, expected) => {
    expect(problemsOf(() => parseVmalert(body, NOW))).toEqual(expected);
  });
});

describe('parseGeneric', () => {
  it('fills everything a minimal alert leaves out', () => {
    expect(parseGeneric({ name: 'ServiceDown' }, NOW)).toEqual([
      {
        fingerprint: fingerprintOf({ alertname: 'ServiceDown' }),
        status: 'firing',
        labels: { alertname: 'ServiceDown' },
        annotations: {},
        // No episode of its own: the plan gives it the alert's open one, or starts one at receipt.
        startsAt: null,
        endsAt: null,
        generatorURL: null,
        source: 'generic',
      },
    ]);
  });

  it('maps name, severity and summary onto labels and annotations', () => {
    const body = {
      name: 'ServiceDown',
      severity: 'crit',
      status: 'resolved',
      labels: { host: 'web-1', service: 'nginx' },
      annotations: { runbook: 'https://wiki/nginx' },
      summary: 'nginx exited with status 1',
      startsAt: '2024-05-01T11:00:00Z',
      endsAt: '2024-05-01T11:30:00Z',
      generatorURL: 'http://web-1:7070/services/nginx',
      fingerprint: 'agent-web-1-nginx',
      agentVersion: '1.2.0',
    };
    expect(parseGeneric(body, NOW)).toEqual([
      {
        fingerprint: fingerprintOf({
          alertname: 'ServiceDown',
          severity: 'crit',
          host: 'web-1',
          service: 'nginx',
        }),
        status: 'resolved',
        labels: { alertname: 'ServiceDown', severity: 'crit', host: 'web-1', service: 'nginx' },
        annotations: {
          runbook: 'https://wiki/nginx',
          summary: 'nginx exited with status 1',
          source_fingerprint: 'agent-web-1-nginx',
        },
        startsAt: new Date('2024-05-01T11:00:00Z'),
        endsAt: new Date('2024-05-01T11:30:00Z'),
        generatorURL: 'http://web-1:7070/services/nginx',
        source: 'generic',
      },
    ]);
  });

  it('lets name, severity and summary win over the same keys in labels and annotations', () => {
    const [alert] = parseGeneric(
      {
        name: 'DiskFull',
        severity: 'warning',
        summary: 'short',
        labels: { alertname: 'Other', severity: 'critical' },
        annotations: { summary: 'long' },
      },
      NOW,
    );
    expect(alert).toMatchObject({
      labels: { alertname: 'DiskFull', severity: 'warning' },
      annotations: { summary: 'short' },
    });
  });

  it('reads a list in {"alerts": [...]}', () => {
    const alerts = parseGeneric({ alerts: [{ name: 'A' }, { name: 'B', severity: 'low' }] }, NOW);
    expect(alerts.map((a) => a.labels)).toEqual([{ alertname: 'A' }, { alertname: 'B', severity: 'low' }]);
  });

  it.each([
    ['no status, endsAt passed', { endsAt: '2024-05-01T11:00:00Z' }, 'resolved'],
    ['no status, endsAt ahead', { endsAt: '2024-05-01T13:00:00Z' }, 'firing'],
    [
      'firing said outright although endsAt passed',
      { status: 'firing', endsAt: '2024-05-01T11:00:00Z' },
      'firing',
    ],
    ['resolved without endsAt', { status: 'resolved' }, 'resolved'],
  ])('%s → %s', (_what, fields, status) => {
    expect(parseGeneric({ name: 'A', ...fields }, NOW)[0]!.status).toBe(status);
  });

  it.each([
    ['a long label value', { name: 'A', labels: { host: 'h'.repeat(2100) } }, 'labels'],
    ['a long name', { name: 'N'.repeat(2100) }, 'labels'],
    [
      'many labels',
      { name: 'A', labels: Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`l${i}`, 'v'])) },
      'labels',
    ],
  ])('refuses %s: the labels, names and values together, take at most 2,048 bytes', (_what, body, path) => {
    expect(problemsOf(() => parseGeneric(body, NOW))).toEqual([
      expect.stringMatching(new RegExp(`^${path}: the labels take \\d+ bytes .*at most 2048.*annotations`)),
    ]);
  });

  it('takes labels of 2,048 bytes, and long text in annotations', () => {
    const labels = { host: 'h'.repeat(2048 - 'host'.length - 'alertname'.length - 1) };
    expect(parseGeneric({ name: 'A', labels, annotations: { log: 'x'.repeat(100_000) } }, NOW)).toHaveLength(
      1,
    );
  });

  it('keeps no annotation for a fingerprint that is the computed one', () => {
    const [alert] = parseGeneric({ name: 'A', fingerprint: fingerprintOf({ alertname: 'A' }) }, NOW);
    expect(alert!.annotations).toEqual({});
  });

  it('computes the fingerprint when an empty one is given', () => {
    expect(parseGeneric({ name: 'A', fingerprint: '' }, NOW)[0]!.fingerprint).toBe(
      fingerprintOf({ alertname: 'A' }),
    );
  });

  it.each([
    ['no name', { severity: 'critical' }, ['name: is required: the alert name, e.g. "DiskFull"']],
    ['an empty name', { name: '' }, ['name: must not be empty: give the alert a name, e.g. "DiskFull"']],
    [
      'a bad alert in a list',
      { alerts: [{ name: 'A' }, { name: 'B', status: 'ok' }] },
      ['alerts[1].status: must be "firing" or "resolved", got string "ok"'],
    ],
    [
      'alerts that is not a list',
      { alerts: { name: 'A' } },
      ['alerts: must be a list of alert objects, got an object'],
    ],
    ['a bare list', [{ name: 'A' }], ['(root): must be one alert object, or {"alerts": [...]}, got a list']],
    [
      'a string',
      'DiskFull',
      ['(root): must be one alert object, or {"alerts": [...]}, got string "DiskFull"'],
    ],
    [
      'a numeric severity',
      { name: 'A', severity: 1 },
      ['severity: must be a string such as "critical" or "warning", got number 1'],
    ],
  ])('rejects %s', (_what, body, expected) => {
    expect(problemsOf(() => parseGeneric(body, NOW))).toEqual(expected);
  });
});

describe('normaliseSeverity', () => {
  const spelled = (severity: Severity, ...spellings: string[]) =>
    spellings.map((spelling): [string, Severity] => [spelling, severity]);

  it.each<[string | undefined, Severity]>([
    ...spelled('critical', 'critical', 'crit', 'fatal', 'page', 'emergency', 'sev1', 'p1'),
    ...spelled('high', 'error', 'err', 'high', 'major', 'sev2', 'p2'),
    ...spelled('warning', 'warning', 'warn', 'medium', 'sev3', 'p3'),
    ...spelled('info', 'info', 'notice', 'informational', 'sev4', 'p4'),
    ...spelled('low', 'low', 'minor', 'debug', 'none', 'sev5', 'p5'),
    ['CRITICAL', 'critical'],
    ['Sev-1', 'critical'],
    ['SEV 2', 'high'],
    ['sev_3', 'warning'],
    [' P4 ', 'info'],
    ['Debug', 'low'],
    ['urgent', 'warning'],
    ['5', 'warning'],
    ['', 'warning'],
    [undefined, 'warning'],
  ])('%j → %s', (raw, expected) => {
    expect(normaliseSeverity(raw)).toBe(expected);
  });
});
