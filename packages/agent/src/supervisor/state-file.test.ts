import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceSpec } from '../spec.ts';
import {
  loadState,
  quarantineState,
  type SavedService,
  saveState,
  specHash,
  stableJson,
  statePath,
} from './state-file.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'opsfleet-state-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const saved: SavedService = {
  pid: 4242,
  pgid: 4242,
  startTime: 123456,
  specHash: 'abc',
  restarts: 2,
  history: { streak: 1, times: [1] },
};

describe('state file', () => {
  it('round-trips and leaves no temp file behind', () => {
    const dir = tmp();
    saveState(
      dir,
      { api: { ...saved, known: [{ pid: 4250, startTime: 123460 }] } },
      {
        worker: { reason: 'stopped by request' },
      },
    );
    expect(loadState(dir)).toEqual({
      services: { api: { ...saved, known: [{ pid: 4250, startTime: 123460 }] } },
      stopped: { worker: { reason: 'stopped by request' } },
    });
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('is empty when missing, and names a broken file', () => {
    const dir = tmp();
    expect(loadState(dir)).toEqual({ services: {}, stopped: {} });
    writeFileSync(statePath(dir), '{"version":1,"services":');
    expect(loadState(dir).problem).toMatch(/state\.json is not JSON/);
    writeFileSync(statePath(dir), '{"version":7,"services":{}}');
    expect(loadState(dir).problem).toMatch(/not a version 1 state file/);
  });

  it('keeps a copy of a broken file before it is overwritten', () => {
    const dir = tmp();
    writeFileSync(statePath(dir), 'garbage');
    const copy = quarantineState(dir, new Date('2025-01-02T03:04:05.678Z'));
    expect(copy).toBe(`${statePath(dir)}.bad-2025-01-02T03-04-05-678Z`);
    expect(readFileSync(copy!, 'utf8')).toBe('garbage');
    expect(quarantineState(tmp())).toBeUndefined();
  });

  it('drops entries without a usable pid', () => {
    const dir = tmp();
    writeFileSync(
      statePath(dir),
      JSON.stringify({ version: 1, services: { a: { ...saved, pid: 0 }, b: { pid: 'x' }, c: saved } }),
    );
    expect(Object.keys(loadState(dir).services)).toEqual(['c']);
  });

  it('reads a file of an agent that saved no stopped services as none held stopped', () => {
    const dir = tmp();
    writeFileSync(statePath(dir), JSON.stringify({ version: 1, services: { c: saved } }));
    expect(loadState(dir).stopped).toEqual({});
    writeFileSync(
      statePath(dir),
      JSON.stringify({
        version: 1,
        services: { c: saved },
        stopped: { c: { reason: 'x' }, d: { no: 1 }, e: { reason: 'y' } },
      }),
    );
    // A service cannot be both running and stopped: the running process wins.
    expect(loadState(dir).stopped).toEqual({ e: { reason: 'y' } });
  });
});

describe('specHash', () => {
  const base = ServiceSpec.parse({ name: 'api', command: 'node', args: ['a.js'], env: { A: '1', B: '2' } });
  it('ignores key order and the settings applied in place', () => {
    const reordered = { ...base, env: { B: '2', A: '1' } };
    const inPlace = {
      ...base,
      stopTimeout: 1,
      restart: { ...base.restart, maxRestarts: 9 },
      dependsOn: ['db'],
    };
    expect(specHash(reordered)).toBe(specHash(base));
    expect(specHash(inPlace)).toBe(specHash(base));
  });
  it('changes with what shapes the process', () => {
    expect(specHash({ ...base, args: ['b.js'] })).not.toBe(specHash(base));
    expect(specHash({ ...base, envFile: '/x.env' })).not.toBe(specHash(base));
  });
  it('stableJson sorts keys and drops undefined', () => {
    expect(stableJson({ b: 1, a: [{ d: undefined, c: 'x' }] })).toBe('{"a":[{"c":"x"}],"b":1}');
  });
});
