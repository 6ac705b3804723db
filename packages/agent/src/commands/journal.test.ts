import { mkdtempSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from './journal.ts';

const dir = () => join(mkdtempSync(join(tmpdir(), 'opsfleet-journal-')), 'commands');
const ID = '0b52394b-f2cd-44d8-bfbb-3860c007d6a2';

describe('command journal', () => {
  it('keeps a command from started to done, readable by a new journal on the same folder', () => {
    const d = dir();
    const j = new Journal(d);
    expect(j.get(ID)).toBeUndefined();
    const started = j.started(ID, 'ping');
    expect(new Journal(d).get(ID)).toMatchObject({ id: ID, kind: 'ping', state: 'started' });
    j.finished(ID, 'ping', started.startedAt, { status: 'succeeded', result: { pong: true } });
    expect(new Journal(d).get(ID)).toMatchObject({
      state: 'done',
      status: 'succeeded',
      result: { pong: true },
      startedAt: started.startedAt,
    });
    // Only the entry, private to the agent: no temporary file left behind.
    expect(readdirSync(d)).toEqual([`${ID}.json`]);
    expect(statSync(join(d, `${ID}.json`)).mode & 0o777).toBe(0o600);
    expect(statSync(d).mode & 0o777).toBe(0o700);
  });

  it.each(['../../etc/passwd', 'not-a-uuid', `${ID}/x`, ''])(
    'refuses %j as an id: it would become a file name',
    (id) => {
      const j = new Journal(dir());
      expect(() => j.get(id)).toThrow(/not a command id/);
      expect(() => j.started(id, 'ping')).toThrow(/not a command id/);
    },
  );

  it('forgets entries older than asked, keeps the others', () => {
    const j = new Journal(dir());
    const old = '11111111-2222-3333-4444-555555555555';
    j.started(old, 'ping');
    j.started(ID, 'ping');
    const long = new Date(Date.now() - 9 * 86_400_000);
    utimesSync(join(j.dir, `${old}.json`), long, long);
    expect(j.prune(8 * 86_400_000)).toBe(1);
    expect(j.get(old)).toBeUndefined();
    expect(j.get(ID)).toMatchObject({ state: 'started' });
  });
});
