import { describe, expect, it } from 'vitest';
import { type Matcher, MatcherError, matches, parseMatcher, validateMatchers } from './matchers.ts';

const RE2 = '; RE2 syntax is required, as in Alertmanager (no backreferences or lookaround)';
const SYNTAX = 'write name="value", name!="value", name=~"regex" or name!~"regex"';

describe('parseMatcher', () => {
  it.each<[string, Matcher]>([
    ['alertname="DiskFull"', { name: 'alertname', value: 'DiskFull', type: '=' }],
    ['severity!="info"', { name: 'severity', value: 'info', type: '!=' }],
    ['instance=~"db-.*"', { name: 'instance', value: 'db-.*', type: '=~' }],
    ['job!~"node|blackbox"', { name: 'job', value: 'node|blackbox', type: '!~' }],
    ['alertname=DiskFull', { name: 'alertname', value: 'DiskFull', type: '=' }],
    ['  team = "db"  ', { name: 'team', value: 'db', type: '=' }],
    ['team=  db  ', { name: 'team', value: 'db', type: '=' }],
    ['foo=""', { name: 'foo', value: '', type: '=' }],
    ['foo=', { name: 'foo', value: '', type: '=' }],
    ['foo!=""', { name: 'foo', value: '', type: '!=' }],
    ['expr="a=b"', { name: 'expr', value: 'a=b', type: '=' }],
    ['msg="say \\"hi\\""', { name: 'msg', value: 'say "hi"', type: '=' }],
    ['dir="C:\\\\temp"', { name: 'dir', value: 'C:\\temp', type: '=' }],
    ['text="two\\nlines"', { name: 'text', value: 'two\nlines', type: '=' }],
    ['host=~"db\\.prod"', { name: 'host', value: 'db\\.prod', type: '=~' }],
    ['severity=~"(?i)critical"', { name: 'severity', value: '(?i)critical', type: '=~' }],
    ['k8s.io/app="web"', { name: 'k8s.io/app', value: 'web', type: '=' }],
    ['_private="1"', { name: '_private', value: '1', type: '=' }],
    ['open="("', { name: 'open', value: '(', type: '=' }],
  ])('%s', (text, expected) => {
    expect(parseMatcher(text)).toEqual(expected);
  });

  it.each([
    ['', `'' is not a matcher; ${SYNTAX}`],
    ['alertname', `'alertname' is not a matcher; ${SYNTAX}`],
    ['="DiskFull"', `'="DiskFull"' is not a matcher; ${SYNTAX}`],
    ['1st="x"', `'1st="x"' is not a matcher; ${SYNTAX}`],
    ['a~"x"', `'a~"x"' is not a matcher; ${SYNTAX}`],
    ['a="b', `'a="b' has unbalanced quotes; ${SYNTAX}`],
    ['a=b"', `'a=b"' has unbalanced quotes; ${SYNTAX}`],
    ['a="b"c', `'a="b"c' has unbalanced quotes; ${SYNTAX}`],
    ['a="b\\"', `'a="b\\"' has unbalanced quotes; ${SYNTAX}`],
    ['a=~"("', `'a=~"("': invalid regular expression "(": missing ): (${RE2}`],
    ['a=~"a)|(b"', `'a=~"a)|(b"': invalid regular expression "a)|(b": unexpected ): a)|(b${RE2}`],
    [
      'a!~"[z-a]"',
      `'a!~"[z-a]"': invalid regular expression "[z-a]": invalid character class range: z-a${RE2}`,
    ],
    [
      'a=~"(a)\\\\1"',
      `'a=~"(a)\\\\1"': invalid regular expression "(a)\\\\1": invalid escape sequence: \\1${RE2}`,
    ],
    ['a=~"x(?=y)"', `'a=~"x(?=y)"': invalid regular expression "x(?=y)": invalid perl operator: (?=${RE2}`],
    [
      'a!~"(?<!x)y"',
      `'a!~"(?<!x)y"': invalid regular expression "(?<!x)y": invalid perl operator: (?<${RE2}`,
    ],
  ])('rejects %s', (text, message) => {
    expect(() => parseMatcher(text)).toThrow(new MatcherError([{ path: '', message }]));
    expect(() => parseMatcher(text)).toThrow(MatcherError);
  });
});

describe('matches', () => {
  const all = (...texts: string[]) => texts.map(parseMatcher);

  it.each<[string, Matcher[], Record<string, string>, boolean]>([
    ['no matchers', [], { alertname: 'DiskFull' }, true],
    ['equal value', all('alertname="DiskFull"'), { alertname: 'DiskFull' }, true],
    ['different value', all('alertname="DiskFull"'), { alertname: 'DiskFullSoon' }, false],
    ['= compares text, not patterns', all('host="db.1"'), { host: 'dbx1' }, false],
    ['regex matching the whole value', all('instance=~"db-\\d+"'), { instance: 'db-12' }, true],
    ['regex anchored at the start', all('instance=~"db-\\d+"'), { instance: 'old-db-12' }, false],
    ['regex anchored at the end', all('instance=~"db-\\d+"'), { instance: 'db-12:9100' }, false],
    ['alternation stays anchored', all('job=~"node|blackbox"'), { job: 'node-exporter' }, false],
    ['alternation, second branch', all('job=~"node|blackbox"'), { job: 'blackbox' }, true],
    ['!~ excluding', all('severity!~"info|low"'), { severity: 'low' }, false],
    ['!~ letting others through', all('severity!~"info|low"'), { severity: 'critical' }, true],
    ['!~ on a missing label', all('severity!~"info|low"'), {}, true],
    ['foo!="" needs the label', all('foo!=""'), {}, false],
    ['foo!="" with the label', all('foo!=""'), { foo: 'x' }, true],
    ['foo="" with the label absent', all('foo=""'), {}, true],
    ['foo="" with the label set', all('foo=""'), { foo: 'x' }, false],
    ['foo="" with the label empty', all('foo=""'), { foo: '' }, true],
    ['every matcher must match', all('alertname="A"', 'team="db"'), { alertname: 'A', team: 'web' }, false],
    ['all matching', all('alertname="A"', 'team=~"db|dba"'), { alertname: 'A', team: 'dba' }, true],
    ['case matters', all('severity=~"critical"'), { severity: 'CRITICAL' }, false],
    ['(?i) ignores case', all('severity=~"(?i)critical"'), { severity: 'CRITICAL' }, true],
    ['(?i) is still anchored', all('severity=~"(?i)critical"'), { severity: 'critical!' }, false],
    ['a label named like a method is missing', all('toString=""'), {}, true],
    ['constructor!="" needs a real label', all('constructor!=""'), {}, false],
    ['. is one character, even outside the BMP', all('icon=~"."'), { icon: '🔥' }, true],
    ['. stops at a newline, as in Go', all('text=~"a.b"'), { text: 'a\nb' }, false],
    ['(?s) lets . match a newline', all('text=~"(?s)a.b"'), { text: 'a\nb' }, true],
    ['Perl classes', all('code=~"\\d{3}"'), { code: '503' }, true],
  ])('%s', (_what, matchers, labels, expected) => {
    expect(matches(matchers, labels)).toBe(expected);
  });
});

describe('validateMatchers', () => {
  const rule = (name: string, type: string, value: string) => ({ name, type, value });

  it.each([
    [[rule('alertname', '=', 'DiskFull')]],
    [[rule('team', '=', ''), rule('alertname', '=~', '.+')]],
    [[rule('instance', '!~', 'db-.*'), rule('severity', '!=', '')]],
  ])('accepts %j', (list) => {
    expect(validateMatchers(list)).toEqual(list);
  });

  it('drops fields it does not use', () => {
    expect(validateMatchers([{ ...rule('a', '=', 'b'), isRegex: false }])).toEqual([rule('a', '=', 'b')]);
  });

  const EXAMPLE = '{"name": "alertname", "value": "DiskFull", "type": "="}';
  const MUTES_ALL =
    '(root): every matcher also matches alerts that lack the label, so this silence would mute almost every ' +
    `alert; add one that needs a value, such as ${EXAMPLE}`;

  it.each([
    [
      'an empty list',
      [],
      ['(root): must have at least one matcher: a silence without matchers would mute every alert'],
    ],
    ['an object', { alertname: 'DiskFull' }, [`(root): must be a list of matchers such as ${EXAMPLE}`]],
    ['a label that must be empty', [rule('maintenance', '=', '')], [MUTES_ALL]],
    ['a regex matching anything', [rule('alertname', '=~', '.*')], [MUTES_ALL]],
    ['only exclusions', [rule('severity', '!=', 'info'), rule('team', '!~', 'db|web')], [MUTES_ALL]],
    ['a null matcher', [null], [`[0]: must be a matcher such as ${EXAMPLE}`]],
    ['an unknown operator', [rule('a', '~', 'b')], ['[0].type: must be one of =, !=, =~, !~']],
    [
      'an empty name',
      [rule('', '=', 'b')],
      ['[0].name: must not be empty: the label to match, e.g. "alertname"'],
    ],
    ['a missing value', [{ name: 'a', type: '=' }], ['[0].value: is required (a string)']],
    [
      'a broken regex, and only that',
      [rule('alertname', '=', 'A'), rule('instance', '=~', '(')],
      [`[1].value: invalid regular expression "(": missing ): (${RE2}`],
    ],
  ])('rejects %s', (_what, input, expected) => {
    let problems: string[] = [];
    try {
      validateMatchers(input);
    } catch (err) {
      expect(err).toBeInstanceOf(MatcherError);
      problems = (err as MatcherError).problems.map((p) => `${p.path}: ${p.message}`);
    }
    expect(problems).toEqual(expected);
  });
});
