import { describe, expect, it } from 'vitest';
import type { Channel } from './api/notify-types.ts';
import {
  CONFIG_EXAMPLES,
  channelChangeBody,
  channelToForm,
  configOnKindChange,
  exampleText,
  newChannelBody,
  parseConfig,
} from './channel-form.ts';

const channel: Channel = {
  id: '7d4f1c52-0d4e-4f7e-9a55-0a3c1c9b6e10',
  name: 'ops-hook',
  kind: 'webhook',
  config: { url: 'http://127.0.0.1:9095/hook', secret: '••••••', headers: { 'X-Team': '••••••' } },
  templateId: null,
  createdBy: 'admin',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('the channel form', () => {
  it.each([
    ['{"url":"http://x"}', { config: { url: 'http://x' } }],
    ['  {\n "port": 587 }\n', { config: { port: 587 } }],
    ['{}', { config: {} }],
  ])('reads %j as a configuration', (text, expected) => {
    expect(parseConfig(text)).toEqual(expected);
  });

  it.each([
    ['', 'write the configuration as a JSON object'],
    ['   ', 'write the configuration as a JSON object'],
    [undefined, 'write the configuration as a JSON object'],
    ['[1, 2]', 'the configuration must be a JSON object ({ … })'],
    ['null', 'the configuration must be a JSON object ({ … })'],
    ['"url"', 'the configuration must be a JSON object ({ … })'],
    ['{"url": }', /^not valid JSON: /],
    ["{'url': 'x'}", /^not valid JSON: /],
  ])('refuses %j', (text, message) => {
    const parsed = parseConfig(text);
    expect('error' in parsed).toBe(true);
    if ('error' in parsed) expect(parsed.error).toMatch(message);
  });

  it('has an example that parses for every kind the server ships', () => {
    for (const kind of ['webhook', 'dingtalk', 'wecom', 'feishu', 'slack', 'email', 'sms']) {
      expect(parseConfig(exampleText(kind))).toEqual({ config: CONFIG_EXAMPLES[kind] });
    }
    expect(exampleText('carrier-pigeon')).toBe('{}');
  });

  it.each([
    ['empty text', '', 'slack', exampleText('slack')],
    ['an empty object', '{}', 'email', exampleText('email')],
    ['an untouched example', exampleText('webhook'), 'dingtalk', exampleText('dingtalk')],
    ['an example reformatted', JSON.stringify(CONFIG_EXAMPLES.wecom), 'feishu', exampleText('feishu')],
    ['edited text', '{"url":"https://mine"}', 'slack', '{"url":"https://mine"}'],
    ['text that does not parse', '{"url":', 'slack', '{"url":'],
  ])('on a kind change replaces %s only when nothing was written', (_, current, kind, expected) => {
    expect(configOnKindChange(current, kind)).toBe(expected);
  });

  it('starts a new channel as a webhook with its example, or the first kind on offer', () => {
    expect(channelToForm(undefined, ['email', 'webhook'])).toEqual({
      name: '',
      kind: 'webhook',
      config: exampleText('webhook'),
      templateId: undefined,
    });
    expect(channelToForm(undefined, ['email']).kind).toBe('email');
  });

  it('creates with a trimmed name and parsed config, the template set only when chosen', () => {
    const values = {
      name: ' ops-hook ',
      kind: 'webhook',
      config: '{"url":"http://a"}',
      templateId: undefined,
    };
    expect(newChannelBody(values)).toEqual({
      name: 'ops-hook',
      kind: 'webhook',
      config: { url: 'http://a' },
    });
    expect(newChannelBody({ ...values, templateId: 'set-1' })).toEqual({
      name: 'ops-hook',
      kind: 'webhook',
      config: { url: 'http://a' },
      templateId: 'set-1',
    });
  });

  it('edits by sending the config as shown, masks included, and null for a cleared template set', () => {
    const values = channelToForm({ ...channel, templateId: 'set-1' }, []);
    expect(values.templateId).toBe('set-1');
    expect(channelChangeBody(values)).toEqual({
      name: 'ops-hook',
      config: channel.config,
      templateId: 'set-1',
    });
    expect(channelChangeBody({ ...values, templateId: undefined }).templateId).toBeNull();
    expect(channelChangeBody({ ...values, templateId: null }).templateId).toBeNull();
  });

  it('refuses to build a body from a configuration that does not parse', () => {
    expect(() => newChannelBody({ name: 'x', kind: 'slack', config: '{' })).toThrow(/not valid JSON/);
  });
});
