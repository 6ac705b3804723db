import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@opsfleet/core';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent } from '../src/agent.ts';
import { fakeSystemd, removeFakes } from './systemd/fake.ts';

/**
 * Services with `backend: systemd` next to direct ones in one agent, against the recorded
 * systemctl stand-in (systemd cannot run as PID 1 here): units written and started, listed with
 * the rest, commanded through the same API, stopped with the agent when asked.
 */
afterAll(removeFakes);

describe('an agent with a systemd service', () => {
  it('runs it as a unit and lists and commands it like the others', async () => {
    const fake = fakeSystemd();
    Object.assign(process.env, fake.env);
    const dir = mkdtempSync(join(tmpdir(), 'opsfleet-agent-systemd-'));
    writeFileSync(
      join(dir, 'agent.yaml'),
      `agent:
  dataDir: ${dir}/data
  grpc: { listen: "127.0.0.1:0" }
  http: { listen: "127.0.0.1:0" }
  systemd: { mode: user, unitDir: ${fake.unitDir}, systemctl: ${fake.binary} }
services:
  - name: direct-one
    command: ${process.execPath}
    args: [${join(import.meta.dirname, 'fixtures/forever.mjs')}]
  - name: unit-one
    backend: systemd
    command: ${process.execPath}
    args: [server.js]
    cwd: ${dir}
`,
    );
    const agent = await Agent.start({
      configPath: join(dir, 'agent.yaml'),
      log: createLogger({ level: 'silent' }),
    });
    try {
      const unit = join(fake.unitDir, 'opsfleet-unit-one.service');
      expect(existsSync(unit)).toBe(true);
      expect(readFileSync(unit, 'utf8')).toContain(`ExecStart=${process.execPath} server.js`);
      expect(fake.newCalls().filter((c) => /daemon-reload|enable|start/.test(c))).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/daemon-reload/),
          expect.stringMatching(/start opsfleet-unit-one/),
        ]),
      );
      const listed = agent
        .services()
        .map((s) => `${s.name}:${s.backend}:${s.state}`)
        .sort();
      expect(listed).toEqual(['direct-one:direct:running', 'unit-one:systemd:running']);
      expect((await agent.command('unit-one', 'stop')).state).toBe('stopped');
      // A stopped unit is unloaded by systemd (and by the stand-in): nothing of it is active.
      expect(fake.unit('opsfleet-unit-one.service')).toBeUndefined();
      expect(fake.newCalls()).toContainEqual(expect.stringMatching(/stop opsfleet-unit-one.service/));
      expect((await agent.command('unit-one', 'start')).state).toBe('running');
    } finally {
      await agent.close(false);
    }
    expect(fake.unit('opsfleet-unit-one.service')).toBeUndefined();
    expect(fake.newCalls()).toContainEqual(expect.stringMatching(/stop opsfleet-unit-one.service/));
  });
});
