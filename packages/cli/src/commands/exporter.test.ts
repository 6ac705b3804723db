import { describe, expect, it } from 'vitest';
import { listenFlag } from './exporter.ts';

describe('opsfleet exporter --web.listen-address', () => {
  it.each([
    [
      ['--web.listen-address', '127.0.0.1:9200'],
      { EXPORTER_LISTEN_ADDRESS: '127.0.0.1', EXPORTER_PORT: '9200' },
    ],
    [['--web.listen-address=[::1]:9101'], { EXPORTER_LISTEN_ADDRESS: '::1', EXPORTER_PORT: '9101' }],
    [['--web.listen-address', ':9300'], { EXPORTER_PORT: '9300' }],
  ])('%j becomes the settings it stands for, winning over the environment', (args, want) => {
    expect(listenFlag(args, { EXPORTER_PORT: '1', KEEP: 'x' })).toEqual({ KEEP: 'x', ...want });
  });

  it('leaves the environment alone without the flag, and explains a value that is not host:port', () => {
    const env = { EXPORTER_LISTEN_ADDRESS: '0.0.0.0' };
    expect(listenFlag([], env)).toBe(env);
    expect(listenFlag(['--web.listen-address', '9101'], env)).toMatch(/expected host:port/);
    expect(listenFlag(['--web.listen-address'], env)).toMatch(/got ""/);
  });
});
