import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serverSettings } from './server.ts';

describe('server listen address', () => {
  it.each([
    [{}, undefined, undefined, 8080],
    [{ SERVER_PORT: '9000' }, undefined, undefined, 9000],
    [{ LISTEN_ADDRESS: '127.0.0.1:8081' }, undefined, '127.0.0.1', 8081],
    [{ LISTEN_ADDRESS: '[::1]:8082' }, undefined, '::1', 8082],
    [{ LISTEN_ADDRESS: '0.0.0.0:80' }, '127.0.0.1:9999', '127.0.0.1', 9999],
  ])('%j --listen %s → %s:%s', (env, listen, host, port) => {
    const s = serverSettings(env, listen);
    expect(s.host).toBe(host);
    expect(s.port).toBe(port);
  });

  it.each([
    [{ LISTEN_ADDRESS: '127.0.0.1' }, undefined, /LISTEN_ADDRESS must be host:port/],
    [{ LISTEN_ADDRESS: '127.0.0.1:70000' }, undefined, /LISTEN_ADDRESS must be host:port/],
    [{}, '8080', /--listen must be host:port/],
  ])('refuses %j --listen %s naming the setting and the form', (env, listen, message) => {
    expect(() => serverSettings(env, listen)).toThrow(message);
  });
});

describe('server /metrics credentials', () => {
  it('is open unless METRICS_AUTH says otherwise', () => {
    expect(serverSettings({}).metricsAuth).toBeUndefined();
  });

  it('reads basic credentials and a bearer token from the environment or a file', () => {
    expect(serverSettings({ METRICS_AUTH: 'basic', METRICS_PASSWORD: 'pw' }).metricsAuth).toEqual({
      basic: { username: 'metrics', password: 'pw' },
    });
    const file = join(mkdtempSync(join(tmpdir(), 'opsfleet-metrics-')), 'token');
    writeFileSync(file, 'tok-1\n');
    expect(serverSettings({ METRICS_AUTH: 'bearer', METRICS_TOKEN_FILE: file }).metricsAuth).toEqual({
      bearer: 'tok-1',
    });
  });

  it.each([
    [{ METRICS_AUTH: 'basic' }, /needs METRICS_PASSWORD or METRICS_PASSWORD_FILE/],
    [{ METRICS_AUTH: 'bearer' }, /needs METRICS_TOKEN or METRICS_TOKEN_FILE/],
    [{ METRICS_AUTH: 'digest' }, /METRICS_AUTH must be none, basic or bearer/],
  ])('refuses %j rather than leaving /metrics open', (env, message) => {
    expect(() => serverSettings(env)).toThrow(message);
  });

  it('takes REQUEST_TIMEOUT as a duration', () => {
    expect(serverSettings({ REQUEST_TIMEOUT: '10s' }).requestTimeoutMs).toBe(10_000);
  });
});

describe('server outbound allow-list', () => {
  it('takes addresses and CIDR blocks, and refuses anything else naming the entry', () => {
    expect(serverSettings({ OUTBOUND_ALLOW: '127.0.0.1/32, 10.0.0.0/8' }).outboundAllow).toEqual([
      '127.0.0.1/32',
      '10.0.0.0/8',
    ]);
    expect(serverSettings({}).outboundAllow).toBeUndefined();
    expect(() => serverSettings({ OUTBOUND_ALLOW: '127.0.0.1/32,intranet' })).toThrow(
      /OUTBOUND_ALLOW: "intranet" is not an address or CIDR block/,
    );
  });
});
