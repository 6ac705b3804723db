import { describe, expect, it } from 'vitest';
import type { Datasource } from './api/datasources.ts';
import { type DatasourceValues, datasourceBody, datasourceValues, fieldErrors } from './datasource-form.ts';

const stored: Datasource = {
  id: 'd1',
  name: 'prom',
  kind: 'prometheus',
  url: 'http://prom:9090',
  authType: 'basic',
  username: 'reader',
  hasSecret: true,
  tls: { hasCa: true, insecureSkipVerify: false, serverName: 'prom.internal' },
  labels: { team: 'ops' },
  createdAt: '2026-12-07T00:00:00Z',
  updatedAt: '2026-12-07T00:00:00Z',
};

describe('the data source form', () => {
  it('starts an edit without any secret, so saving it keeps the stored ones', () => {
    const v = datasourceValues(stored);
    expect(v).toMatchObject({
      password: '',
      token: '',
      ca: '',
      serverName: 'prom.internal',
      labels: 'team=ops',
    });
    expect(datasourceBody(v)).toEqual({
      body: {
        name: 'prom',
        kind: 'prometheus',
        url: 'http://prom:9090',
        auth: { type: 'basic', username: 'reader' },
        tls: { insecure_skip_verify: false, server_name: 'prom.internal' },
        labels: { team: 'ops' },
      },
    });
  });

  it.each([
    ['no auth, even with a password typed', { authType: 'none', password: 'x' }, { type: 'none' }],
    [
      'basic with a new password',
      { authType: 'basic', username: ' u ', password: 'p w' },
      { type: 'basic', username: 'u', password: 'p w' },
    ],
    ['bearer with a new token', { authType: 'bearer', token: 't0k' }, { type: 'bearer', token: 't0k' }],
    ['bearer keeping the stored token', { authType: 'bearer', token: '' }, { type: 'bearer' }],
  ] as const)('%s', (_, change, auth) => {
    const v = {
      ...datasourceValues(undefined),
      name: ' p ',
      url: ' http://p:9090 ',
      ...change,
    } as DatasourceValues;
    expect(datasourceBody(v)).toEqual({
      body: {
        name: 'p',
        kind: 'prometheus',
        url: 'http://p:9090',
        auth,
        tls: { insecure_skip_verify: false },
        labels: {},
      },
    });
  });

  it('sends a CA only when one is pasted, and refuses labels that are not name=value', () => {
    const v = {
      ...datasourceValues(undefined),
      ca: '\n-----BEGIN CERTIFICATE-----\n',
      insecureSkipVerify: true,
    };
    expect(datasourceBody(v)).toMatchObject({
      body: { tls: { ca: '-----BEGIN CERTIFICATE-----', insecure_skip_verify: true } },
    });
    expect(datasourceBody({ ...v, labels: 'team' })).toEqual({ error: 'labels: "team" is not name=value' });
  });

  it('puts the server’s refusals on the fields they name', () => {
    expect(
      fieldErrors([
        { path: 'body.password', message: 'the URL changed: enter the password again' },
        { path: 'body.url', message: 'refused by OUTBOUND_ALLOW' },
        { path: 'body.url', message: 'second' },
        { path: 'body', message: 'of no field' },
      ]),
    ).toEqual([
      { name: 'password', errors: ['the URL changed: enter the password again'] },
      { name: 'url', errors: ['refused by OUTBOUND_ALLOW', 'second'] },
    ]);
  });
});
