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

describe('server settings that would do nothing', () => {
  it.each([
    [
      { METRICS_PASSWORD: 'pw' },
      /METRICS_PASSWORD is set but METRICS_AUTH is none, .*set METRICS_AUTH=basic/,
    ],
    [{ METRICS_USER: 'prom' }, /METRICS_USER is set but METRICS_AUTH is none/],
    [
      { METRICS_AUTH: 'bearer', METRICS_TOKEN: 't', METRICS_PASSWORD: 'pw' },
      /METRICS_PASSWORD .* METRICS_AUTH is bearer/,
    ],
    [
      { METRICS_AUTH: 'basic', METRICS_PASSWORD: 'pw', METRICS_TOKEN_FILE: '/t' },
      /METRICS_TOKEN_FILE .*METRICS_AUTH=bearer/,
    ],
    [
      { LISTEN_ADDRESS: '127.0.0.1:8081', SERVER_PORT: '9000' },
      /SERVER_PORT=9000 and LISTEN_ADDRESS=127\.0\.0\.1:8081 name different ports/,
    ],
    [
      { LOG_LEVEL: 'verbose' },
      /LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"/,
    ],
    [{ LOG_FORMAT: 'text' }, /LOG_FORMAT must be json or console, got "text"/],
    [{ ALERT_RESOLVE_TIMEOUT: '0' }, /ALERT_RESOLVE_TIMEOUT must be longer than 0/],
    [{ ALERT_CLOSE_AFTER: '0s' }, /ALERT_CLOSE_AFTER must be longer than 0/],
    [{ NOTIFY_TICK: '0' }, /NOTIFY_TICK must be longer than 0/],
    [{ NOTIFY_LEASE: '0' }, /NOTIFY_LEASE must be longer than 0/],
    [{ AGENT_OFFLINE_AFTER: '0m' }, /AGENT_OFFLINE_AFTER must be longer than 0/],
    [{ REQUEST_TIMEOUT: '0' }, /REQUEST_TIMEOUT must be longer than 0/],
    [{ PUBLIC_URL: 'opsfleet.example.com' }, /PUBLIC_URL must be the console's address .*https:\/\//],
  ])('refuses %j naming the setting and what to do', (env, message) => {
    expect(() => serverSettings(env)).toThrow(message);
  });

  it('takes the same settings when they do apply', () => {
    const s = serverSettings({
      METRICS_AUTH: 'basic',
      METRICS_USER: 'prom',
      METRICS_PASSWORD: 'pw',
      LISTEN_ADDRESS: '127.0.0.1:8081',
      SERVER_PORT: '8081',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'console',
      ALERT_RESOLVE_TIMEOUT: '2h',
      PUBLIC_URL: 'https://ops.example.com/',
    });
    expect(s.metricsAuth).toEqual({ basic: { username: 'prom', password: 'pw' } });
    expect(s.port).toBe(8081);
    expect(s.resolveTimeoutMs).toBe(7_200_000);
    expect(s.publicUrl).toBe('https://ops.example.com/');
    // The flag wins over both variables.
    expect(
      serverSettings({ LISTEN_ADDRESS: '127.0.0.1:8081', SERVER_PORT: '9000' }, '127.0.0.1:7000').port,
    ).toBe(7000);
  });
});
