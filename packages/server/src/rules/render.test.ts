import { parseYaml } from '@opsfleet/core';
import { describe, expect, it } from 'vitest';
import { type AlertRule, RULE_LABEL, renderGroup } from './render.ts';

const rule = (over: Partial<AlertRule> = {}): AlertRule => ({
  id: 'r1',
  name: 'HighCPU',
  expr: 'rate(node_cpu_seconds_total{mode!="idle"}[5m]) > 0.9',
  for: '5m',
  keepFiringFor: '',
  severity: 'critical',
  labels: { team: 'sre' },
  annotations: { summary: 'CPU at {{ $value | humanizePercentage }} on {{ $labels.instance }}' },
  enabled: true,
  ...over,
});

describe('renderGroup', () => {
  it('writes the enabled rules with severity and the rule label, templates untouched', () => {
    const r = renderGroup(
      { name: 'node', interval: '30s', rules: [rule(), rule({ id: 'r2', name: 'Off', enabled: false })] },
      'prometheus',
    );
    expect(parseYaml(r.text)).toEqual({
      groups: [
        {
          name: 'node',
          interval: '30s',
          rules: [
            {
              alert: 'HighCPU',
              expr: 'rate(node_cpu_seconds_total{mode!="idle"}[5m]) > 0.9',
              for: '5m',
              labels: { team: 'sre', severity: 'critical', [RULE_LABEL]: 'r1' },
              annotations: { summary: 'CPU at {{ $value | humanizePercentage }} on {{ $labels.instance }}' },
            },
          ],
        },
      ],
    });
    expect(r.rules.map((x) => x.id)).toEqual(['r1']);
  });

  it.each([
    ['prometheus', { keep_firing_for: '10m' }, []],
    ['vmalert', {}, [{ rule: 'HighCPU', field: 'keep_firing_for', why: 'vmalert here does not support it' }]],
  ] as const)('keep_firing_for for %s', (flavor, extra, dropped) => {
    const r = renderGroup({ name: 'g', interval: '', rules: [rule({ keepFiringFor: '10m' })] }, flavor);
    const [only] = (parseYaml(r.text) as { groups: { rules: Record<string, unknown>[] }[] }).groups[0]!.rules;
    expect(only).toMatchObject(extra);
    if (!('keep_firing_for' in extra)) expect(only).not.toHaveProperty('keep_firing_for');
    expect(r.dropped).toEqual(dropped);
  });

  it('lets no user label override the rule label or the severity', () => {
    const r = renderGroup(
      { name: 'g', interval: '', rules: [rule({ labels: { [RULE_LABEL]: 'forged', severity: 'info' } })] },
      'prometheus',
    );
    expect(r.text).toContain(`${RULE_LABEL}: r1`);
    expect(r.text).toContain('severity: critical');
  });
});
