import { describe, expect, it } from 'vitest';
import type { TransitionEvent } from './monitor.ts';
import { alertsFor, type OpenAlert, summaryOf } from './report.ts';

const ev = (
  from: TransitionEvent['from'],
  to: TransitionEvent['to'],
  at: string,
  output = 'out',
): TransitionEvent => ({
  service: 'web',
  check: 'http',
  from,
  to,
  output,
  at,
});
const labels = { host: 'h1', service: 'web', check: 'http' };
const T1 = '2025-01-01T00:00:01.000Z';
const T2 = '2025-01-01T00:00:02.000Z';

describe('alerts of a transition', () => {
  it('critical fires a critical alert starting now', () => {
    const r = alertsFor(ev('passing', 'critical', T1, 'HTTP GET x: 503\nbody'), undefined, 'h1');
    expect(r.messages).toEqual([
      {
        name: 'ServiceHealthCheck',
        severity: 'critical',
        status: 'firing',
        labels,
        summary: 'web/http is critical: HTTP GET x: 503',
        startsAt: T1,
      },
    ]);
    expect(r.open).toEqual({
      severity: 'critical',
      startsAt: T1,
      summary: 'web/http is critical: HTTP GET x: 503',
    });
  });

  it('passing resolves the open alert with its severity and start', () => {
    const open: OpenAlert = { severity: 'critical', startsAt: T1, summary: 's' };
    const r = alertsFor(ev('critical', 'passing', T2, 'ok'), open, 'h1');
    expect(r.messages).toEqual([
      {
        name: 'ServiceHealthCheck',
        severity: 'critical',
        status: 'resolved',
        labels,
        summary: 'web/http is passing: ok',
        startsAt: T1,
        endsAt: T2,
      },
    ]);
    expect(r.open).toBeUndefined();
  });

  it('warning → critical resolves the warning and fires the critical', () => {
    const open: OpenAlert = { severity: 'warning', startsAt: T1, summary: 's' };
    const r = alertsFor(ev('warning', 'critical', T2), open, 'h1');
    expect(r.messages.map((m) => [m.severity, m.status, m.startsAt, m.endsAt])).toEqual([
      ['warning', 'resolved', T1, T2],
      ['critical', 'firing', T2, undefined],
    ]);
    expect(r.open?.severity).toBe('critical');
  });

  it('critical → unknown (service stopped) resolves too', () => {
    const open: OpenAlert = { severity: 'critical', startsAt: T1, summary: 's' };
    const r = alertsFor(ev('critical', 'unknown', T2, 'not checked: the service is stopped'), open, 'h1');
    expect(r.messages).toMatchObject([
      { status: 'resolved', severity: 'critical', startsAt: T1, endsAt: T2 },
    ]);
    expect(r.open).toBeUndefined();
  });

  it('unknown → passing sends nothing', () => {
    expect(alertsFor(ev('unknown', 'passing', T1), undefined, 'h1')).toEqual({
      messages: [],
      open: undefined,
    });
  });

  it('summary: the first line, cut when long, no colon when empty', () => {
    expect(summaryOf({ service: 's', check: 'c', to: 'critical', output: '' })).toBe('s/c is critical');
    expect(summaryOf({ service: 's', check: 'c', to: 'critical', output: 'x'.repeat(600) })).toHaveLength(
      's/c is critical: '.length + 501,
    );
  });
});
