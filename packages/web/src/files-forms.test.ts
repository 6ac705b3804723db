import { describe, expect, it } from 'vitest';
import { type FileAction, type FileRoute, MASK } from './api/files.ts';
import {
  type ActionValues,
  actionBody,
  actionFieldErrors,
  actionTarget,
  actionValues,
  matchSummary,
  parseLines,
  routeBody,
  routeFieldErrors,
  routeValues,
} from './files-forms.ts';

const jenkinsAction: FileAction = {
  id: 'a1',
  name: 'analyse',
  kind: 'jenkins',
  config: {
    url: 'https://ci.example.com/',
    job: 'heap/analyse',
    user: 'bot',
    apiToken: MASK,
    parameters: { FILE: '{path}', SIZE: '{size}' },
  },
  timeoutMs: 600_000,
  maxAttempts: 3,
  maxConcurrency: 2,
  fallbackActionId: null,
  createdAt: '2026-12-07T10:00:00Z',
  updatedAt: '2026-12-07T10:00:00Z',
};

const webhookAction: FileAction = {
  ...jenkinsAction,
  id: 'a2',
  name: 'notify',
  kind: 'webhook',
  config: { url: 'https://hooks.example.com/files', secret: MASK, headers: { 'X-Team': MASK } },
};

const newValues = (change: Partial<ActionValues>): ActionValues => ({
  ...actionValues(undefined),
  ...change,
});

describe('file action form', () => {
  it('shows no secret of a stored action', () => {
    const v = actionValues(jenkinsAction);
    expect(v).toMatchObject({
      kind: 'jenkins',
      url: 'https://ci.example.com/',
      job: 'heap/analyse',
      user: 'bot',
      apiToken: '',
      parameters: 'FILE={path}\nSIZE={size}',
      timeoutSeconds: 600,
    });
    expect(actionValues(webhookAction)).toMatchObject({ secret: '', headers: '' });
  });

  it('a new webhook sends its kind, URL and typed secret and headers', () => {
    const body = actionBody(
      newValues({
        name: ' notify ',
        kind: 'webhook',
        url: ' http://127.0.0.1:9000/hook ',
        secret: 's3cret',
        headers: 'X-Team: files\n\nX-Env: prod',
        maxAttempts: 2,
      }),
      undefined,
    );
    expect(body).toEqual({
      name: 'notify',
      kind: 'webhook',
      config: {
        url: 'http://127.0.0.1:9000/hook',
        secret: 's3cret',
        headers: { 'X-Team': 'files', 'X-Env': 'prod' },
      },
      maxAttempts: 2,
      fallbackActionId: null,
    });
  });

  it('a new action sends no secret left empty', () => {
    const body = actionBody(newValues({ name: 'n', kind: 'webhook', url: 'http://h/' }), undefined);
    expect(body.config).toEqual({ url: 'http://h/' });
  });

  it('an edit keeps stored secrets left empty (the mask) and replaces typed ones', () => {
    const kept = actionBody(actionValues(jenkinsAction), jenkinsAction);
    expect(kept.config).toEqual({
      url: 'https://ci.example.com/',
      job: 'heap/analyse',
      user: 'bot',
      apiToken: MASK,
      parameters: { FILE: '{path}', SIZE: '{size}' },
    });
    expect(kept).not.toHaveProperty('kind');
    const replaced = actionBody({ ...actionValues(jenkinsAction), apiToken: 'new-token' }, jenkinsAction);
    expect(replaced.config.apiToken).toBe('new-token');
    const hook = actionBody(actionValues(webhookAction), webhookAction);
    expect(hook.config).toEqual({
      url: 'https://hooks.example.com/files',
      secret: MASK,
      headers: { 'X-Team': MASK },
    });
  });

  it('sends the password only when typed: none is stored', () => {
    expect(actionBody(actionValues(jenkinsAction), jenkinsAction).config).not.toHaveProperty('password');
  });

  it.each<[string, Partial<ActionValues>, Record<string, unknown>]>([
    [
      'NATS: its subject, user and password; no token typed, none sent',
      { kind: 'nats', url: 'nats://127.0.0.1:4222', subject: 'files.{source}', user: 'u', password: 'p' },
      { url: 'nats://127.0.0.1:4222', subject: 'files.{source}', user: 'u', password: 'p' },
    ],
    [
      'RabbitMQ: the default exchange is the empty name, sent as it is',
      { kind: 'rabbitmq', url: 'amqp://127.0.0.1:5672/', exchange: '', routingKey: 'files' },
      { url: 'amqp://127.0.0.1:5672/', exchange: '', routingKey: 'files' },
    ],
    [
      'script: the program and one argument a line, no URL',
      {
        kind: 'script',
        program: '/usr/local/bin/analyse',
        args: '--file\n{path}\n\n',
        url: 'http://left/over',
      },
      { program: '/usr/local/bin/analyse', args: ['--file', '{path}'] },
    ],
    [
      'a kind changed in the form leaves nothing of the other kind',
      { kind: 'webhook', url: 'http://h/', job: 'left-over', subject: 'left.over', program: '/bin/true' },
      { url: 'http://h/' },
    ],
  ])('%s', (_, values, config) => {
    expect(actionBody(newValues({ name: 'a', ...values }), undefined).config).toEqual(config);
  });

  it('puts refusals on their fields', () => {
    expect(
      actionFieldErrors([
        { path: 'body.config.url', message: 'must be an http(s) URL' },
        { path: 'body.config.parameters.FILE', message: '{nope} is not a file field' },
        { path: 'body.config.apiToken', message: 'enter it again for the new URL' },
        { path: 'body.config.routingKey', message: '{nope} is not a file field' },
        { path: 'body.name', message: 'too short' },
        { path: 'body', message: 'no field' },
      ]),
    ).toEqual([
      { name: 'url', errors: ['must be an http(s) URL'] },
      { name: 'parameters', errors: ['{nope} is not a file field'] },
      { name: 'apiToken', errors: ['enter it again for the new URL'] },
      { name: 'routingKey', errors: ['{nope} is not a file field'] },
      { name: 'name', errors: ['too short'] },
    ]);
  });

  it.each([
    ['A=1\nB = x=y\n\n', '=', { A: '1', B: 'x=y' }],
    ['X-Team: files: eu', ':', { 'X-Team': 'files: eu' }],
    ['', '=', {}],
  ] as const)('%j reads as %j', (text, sep, expected) => {
    expect(parseLines(text, sep)).toEqual(expected);
  });
});

const route: FileRoute = {
  id: 'r1',
  name: 'heap dumps at night',
  position: 10,
  enabled: true,
  match: {
    pathGlob: '**/*.hprof',
    labels: { team: 'core' },
    minSize: 1024,
    window: { from: '22:00', to: '06:00', days: ['fri'], tz: 'Europe/Berlin' },
  },
  actionIds: ['a1', 'a2'],
  mode: 'parallel',
  createdAt: '2026-12-07T10:00:00Z',
  updatedAt: '2026-12-07T10:00:00Z',
};

describe('routing rule form', () => {
  it('a stored rule round-trips through the form unchanged', () => {
    const { id: _id, createdAt: _c, updatedAt: _u, ...body } = route;
    expect(routeBody(routeValues(route, 0))).toEqual(body);
  });

  it('a new rule comes after the last and matches every file until told otherwise', () => {
    const v = routeValues(undefined, 30);
    expect(v).toMatchObject({ position: 30, enabled: true, mode: 'sequence', actionIds: [] });
    expect(routeBody({ ...v, name: 'all', actionIds: ['a1'] })).toEqual({
      name: 'all',
      position: 30,
      enabled: true,
      mode: 'sequence',
      actionIds: ['a1'],
      match: {},
    });
  });

  it('puts refusals on their fields', () => {
    expect(
      routeFieldErrors([
        { path: 'body.match.minSize', message: 'minSize is above maxSize' },
        { path: 'body.match.window.from', message: 'HH:MM, 00:00 to 23:59' },
        { path: 'body.actionIds', message: 'at least one' },
      ]),
    ).toEqual([
      { name: 'minSize', errors: ['minSize is above maxSize'] },
      { name: 'from', errors: ['HH:MM, 00:00 to 23:59'] },
      { name: 'actionIds', errors: ['at least one'] },
    ]);
  });

  it.each([
    [route.match, 'path **/*.hprof, team=core, ≥ 1024 B, fri 22:00–06:00 Europe/Berlin'],
    [{ source: 'dumps', agent: 'web-1' }, 'source dumps, agent web-1'],
    [{}, 'every uploaded file'],
  ])('%j reads %s', (match, text) => {
    expect(matchSummary(match)).toBe(text);
  });
});

describe('an action in the list', () => {
  it.each([
    ['jenkins', { url: 'https://ci/', job: 'heap/analyse' }, 'https://ci/ · heap/analyse'],
    ['webhook', { url: 'https://hooks/files', secret: MASK }, 'https://hooks/files'],
    ['nats', { url: 'nats://n:4222', subject: 'files.dumps' }, 'nats://n:4222 · files.dumps'],
    [
      'rabbitmq',
      { url: 'amqp://r/', exchange: '', routingKey: 'files' },
      'amqp://r/ · (default exchange) → files',
    ],
    [
      'script',
      { program: '/usr/local/bin/analyse', args: ['--file', '{path}'] },
      '/usr/local/bin/analyse --file {path}',
    ],
  ])('%s reads %j', (kind, config, text) => {
    expect(actionTarget({ kind, config })).toBe(text);
  });
});
