import { describe, expect, it } from 'vitest';
import { type ReloadFacts, reloadFacts, reloadVerdict, validateCommand } from './peers.ts';

describe('reloadFacts', () => {
  it('reads the three facts of each peer and ignores look-alikes', () => {
    const text = [
      '# HELP vmalert_config_last_reload_successful x',
      'vmalert_config_last_reload_errors_total 1',
      'vmalert_config_last_reload_success_timestamp_seconds 1796669074',
      'vmalert_config_last_reload_successful 0',
      'vmalert_config_last_reload_total 3',
    ].join('\n');
    expect(reloadFacts('vmalert', text)).toEqual({ successful: 0, successAt: 1796669074, attempts: 3 });
    expect(reloadFacts('prometheus', text)).toEqual({});
    expect(
      reloadFacts(
        'prometheus',
        'prometheus_config_last_reload_success_timestamp_seconds 1.7e+09\nprometheus_config_last_reload_successful 1\n',
      ),
    ).toEqual({ successful: 1, successAt: 1.7e9 });
  });
});

describe('reloadVerdict', () => {
  const at = 1000;
  const rows: [string, ReloadFacts, ReloadFacts, string][] = [
    [
      'prometheus reloaded after the request',
      { successful: 1, successAt: 900 },
      { successful: 1, successAt: 1000 },
      'ok',
    ],
    [
      'prometheus not reloaded yet',
      { successful: 1, successAt: 900 },
      { successful: 1, successAt: 900 },
      'waiting',
    ],
    [
      'a reload earlier in the same second is not this one',
      { successful: 1, successAt: 1000.2 },
      { successful: 1, successAt: 1000.2 },
      'waiting',
    ],
    [
      'this one, later in that second',
      { successful: 1, successAt: 1000.2 },
      { successful: 1, successAt: 1000.7 },
      'ok',
    ],
    [
      'prometheus rejected it',
      { successful: 1, successAt: 900 },
      { successful: 0, successAt: 900 },
      'failed',
    ],
    [
      'an earlier failure is not this verdict',
      { successful: 0, successAt: 900 },
      { successful: 0, successAt: 900 },
      'waiting',
    ],
    [
      'after an earlier failure, a good reload',
      { successful: 0, successAt: 900 },
      { successful: 1, successAt: 1001 },
      'ok',
    ],
    [
      'vmalert has not tried yet',
      { successful: 1, successAt: 900, attempts: 2 },
      { successful: 1, successAt: 900, attempts: 2 },
      'waiting',
    ],
    [
      'vmalert tried and failed',
      { successful: 1, successAt: 900, attempts: 2 },
      { successful: 0, successAt: 900, attempts: 3 },
      'failed',
    ],
    [
      'vmalert failed twice in a row',
      { successful: 0, successAt: 900, attempts: 3 },
      { successful: 0, successAt: 900, attempts: 4 },
      'failed',
    ],
    [
      'vmalert reloaded',
      { successful: 0, successAt: 900, attempts: 3 },
      { successful: 1, successAt: 1000, attempts: 4 },
      'ok',
    ],
    ['no metrics at all', {}, {}, 'waiting'],
  ];
  it.each(rows)('%s', (_, before, after, want) => {
    expect(reloadVerdict(before, after, at)).toBe(want);
  });
});

describe('validateCommand', () => {
  const tools = { promtool: 'promtool', amtool: '/opt/amtool', vmalert: 'vmalert' };
  it('uses each peer’s own tool on the staged files', () => {
    expect(validateCommand('prometheus', tools, ['/s/a.yml', '/s/b.yml'])).toEqual({
      cmd: 'promtool',
      args: ['check', 'rules', '/s/a.yml', '/s/b.yml'],
    });
    expect(validateCommand('vmalert', tools, ['/s/a.yml']).args).toEqual([
      '-dryRun',
      '-rule=/s/a.yml',
      '-loggerLevel=ERROR',
    ]);
    expect(validateCommand('alertmanager', tools, ['/s/alertmanager.yml'])).toEqual({
      cmd: '/opt/amtool',
      args: ['check-config', '/s/alertmanager.yml'],
    });
  });
});
