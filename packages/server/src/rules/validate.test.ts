import { peerAvailable } from '@opsfleet/core/testing';
import { describe, expect, it } from 'vitest';
import type { AlertRule, RuleGroup } from './render.ts';
import { parsePromtool, parseVmalert, validateGroup } from './validate.ts';

const rule = (id: string, over: Partial<AlertRule> = {}): AlertRule => ({
  id,
  name: `Rule${id}`,
  expr: 'up == 0',
  for: '1m',
  keepFiringFor: '',
  severity: 'warning',
  labels: {},
  annotations: {},
  enabled: true,
  ...over,
});

describe('parsePromtool', () => {
  it('maps each line to the rule (by its place among the enabled ones) and the field', () => {
    const out = `Checking /tmp/x/prometheus.yml
  FAILED:
/tmp/x/prometheus.yml: 5:15: group "g1", rule 1, "HighCPU": could not parse expression: 1:36: parse error: unclosed left parenthesis
/tmp/x/prometheus.yml: group "g1", rule 2, "Bad": annotation "summary": template: __alert_Bad:1: unclosed action
/tmp/x/prometheus.yml: yaml: line 3: mapping values are not allowed in this context
`;
    expect(parsePromtool(out, ['a', 'b'])).toEqual([
      {
        tool: 'promtool',
        rule: 'a',
        field: 'expr',
        message: 'could not parse expression: 1:36: parse error: unclosed left parenthesis',
      },
      {
        tool: 'promtool',
        rule: 'b',
        field: 'annotations.summary',
        message: 'annotation "summary": template: __alert_Bad:1: unclosed action',
      },
      { tool: 'promtool', message: 'yaml: line 3: mapping values are not allowed in this context' },
    ]);
  });
});

describe('parseVmalert', () => {
  it.each([
    [
      'invalid expression for rule "g1"."HighCPU": bad prometheus expr: "rate(x", err: argList',
      { rule: 'a', field: 'expr' },
    ],
    [
      'invalid annotations for rule "g1"."Tmpl": errors(1): key "summary", template "{{ .x ": error parsing annotation template',
      { rule: 'b', field: 'annotations.summary' },
    ],
    ['invalid rule "g1"."HighCPU": unknown fields in rule: keep_firing_for', { rule: 'a', field: undefined }],
  ])('%s', (line, want) => {
    const out = `2026-12-07T15:57:15.884Z\tfatal\tVictoriaMetrics/app/vmalert/main.go:98\tfailed to parse: errors(1): invalid group "g1" in file "f": ${line}\n`;
    expect(
      parseVmalert(out, [
        { id: 'a', name: 'HighCPU' },
        { id: 'b', name: 'Tmpl' },
      ])[0],
    ).toMatchObject({ tool: 'vmalert', ...want });
  });
});

describe.runIf(peerAvailable('promtool', 'prometheus') && peerAvailable('vmalert', 'victoria-metrics'))(
  'validateGroup with the real promtool and vmalert',
  () => {
    const group = (rules: AlertRule[]): RuleGroup => ({ name: 'g', interval: '1m', rules });

    it('passes a good group through both tools', async () => {
      const good = rule('1', {
        expr: 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m])) > 0.9',
        annotations: { summary: '{{ $labels.instance }} at {{ $value | humanize }}' },
        keepFiringFor: '5m',
      });
      expect(await validateGroup(group([good]))).toEqual([]);
    });

    it('names the rule and field of a broken expression and a broken template, from each tool', async () => {
      const problems = await validateGroup(
        group([
          rule('1'),
          rule('2', { expr: 'rate(up[5m] > 1' }),
          rule('3', { enabled: false, expr: 'not even (' }),
          rule('4', { annotations: { summary: '{{ .Labels.x ' } }),
        ]),
      );
      const promtool = problems.filter((p) => p.tool === 'promtool').map((p) => [p.rule, p.field]);
      expect(promtool).toEqual([
        ['2', 'expr'],
        ['4', 'annotations.summary'],
      ]);
      // vmalert stops at a group's first problem.
      expect(problems.filter((p) => p.tool === 'vmalert').map((p) => [p.rule, p.field])).toEqual([
        ['2', 'expr'],
      ]);
    });

    it('checks durations itself, since the tools only say the file is bad', async () => {
      expect(await validateGroup(group([rule('1', { for: '5x' })]))).toEqual([
        { tool: 'opsfleet', rule: '1', field: 'for', message: '"5x" is not a duration such as 5m or 1h30m' },
      ]);
    });
  },
);
