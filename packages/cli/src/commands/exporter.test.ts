import { describe, expect, it } from 'vitest';
import { listenFlag } from './exporter.ts';

describe('opsfleet exporter --web.listen-address', () => {
  it.each([
    ['127.0.0.1:9200', { EXPORTER_LISTEN_ADDRESS: '127.0.0.1', EXPORTER_PORT: '9200' }],
    ['[::1]:9101', { EXPORTER_LISTEN_ADDRESS: '::1', EXPORTER_PORT: '9101' }],
    [':9300', { EXPORTER_PORT: '9300' }],
  ])('%s becomes the settings it stands for, winning over the environment', (value, want) => {
    expect(listenFlag(value, { EXPORTER_PORT: '1', KEEP: 'x' })).toEqual({ KEEP: 'x', ...want });
  });

  it('leaves the environment alone without the flag, and explains a value that is not host:port', () => {
    const env = { EXPORTER_LISTEN_ADDRESS: '0.0.0.0' };
    expect(listenFlag(undefined, env)).toBe(env);
    expect(listenFlag('9101', env)).toMatch(/expected host:port/);
    expect(listenFlag('', env)).toMatch(/got ""/);
  });
});
