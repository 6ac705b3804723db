import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Systemctl, SystemctlError, snapshotOf } from '../../src/systemd/systemctl.ts';
import { fakeSystemd, removeFakes } from './fake.ts';

afterAll(removeFakes);

/**
 * The stand-in must answer as systemd does. Every expected message and exit code here was
 * recorded from `systemctl --user` against a real systemd 252 user manager (252.39-1~deb12u2)
 * for a unit that does not exist (opsfleet-x.service).
 */

function standIn() {
  const fake = fakeSystemd();
  const sc = new Systemctl({ binary: fake.binary, mode: 'user', env: fake.env });
  return { fake, sc };
}

const U = 'opsfleet-x.service';

describe('the stand-in answers for an unknown unit as systemd 252 did', () => {
  it.each([
    [['start', U], 5, `Failed to start ${U}: Unit ${U} not found.`],
    [['restart', U], 5, `Failed to restart ${U}: Unit ${U} not found.`],
    [['stop', U], 5, `Failed to stop ${U}: Unit ${U} not loaded.`],
    [['kill', '--signal=SIGSTOP', U], 1, `Failed to kill unit ${U}: Unit ${U} not loaded.`],
    [['reset-failed', U], 1, `Failed to reset failed state of unit ${U}: Unit ${U} not loaded.`],
    [['enable', U], 1, `Failed to enable unit: Unit file ${U} does not exist.`],
    [['disable', U], 1, `Failed to disable unit: Unit file ${U} does not exist.`],
  ])('systemctl --user %j → exit %i', async (args, code, stderr) => {
    const { sc } = standIn();
    const err = (await sc.run(args).catch((e: unknown) => e)) as SystemctlError;
    expect(err).toBeInstanceOf(SystemctlError);
    expect({ exitCode: err.exitCode, stderr: err.stderr }).toEqual({ exitCode: code, stderr });
    expect(err.unitMissing).toBe(!args[0]!.endsWith('able'));
  });

  it('show of an unknown unit succeeds with LoadState=not-found', async () => {
    const { sc } = standIn();
    expect(await sc.show(U, ['LoadState', 'ActiveState', 'SubState'])).toEqual({
      LoadState: 'not-found',
      ActiveState: 'inactive',
      SubState: 'dead',
    });
  });
});

describe('the stand-in for a known unit', () => {
  it('show prints systemd 252’s order, empty time stamps when never started, and RestartUSec from the file', async () => {
    const { fake, sc } = standIn();
    writeFileSync(
      join(fake.unitDir, U),
      '[Service]\nExecStart=/bin/true\nRestart=on-failure\nRestartSec=1500ms\n',
    );
    const { stdout } = await sc.run([
      'show',
      '--property=ActiveState,MainPID,Restart,RestartUSec,ExecMainStartTimestamp',
      U,
    ]);
    expect(stdout).toBe(
      'Restart=on-failure\nRestartUSec=1.500000s\nMainPID=0\nExecMainStartTimestamp=\nActiveState=inactive\n',
    );
  });

  it('start gives a MainPID no real process can have; stop unloads; kill then says not loaded', async () => {
    const { fake, sc } = standIn();
    writeFileSync(join(fake.unitDir, U), '[Service]\nExecStart=/bin/true\n');
    await sc.start(U);
    const running = snapshotOf(await sc.show(U));
    expect(running).toMatchObject({ activeState: 'active', subState: 'running', nRestarts: 0 });
    expect(running.mainPid).toBeGreaterThan(4_194_304);
    await sc.kill(U, 'SIGSTOP');
    expect(fake.unit(U)!.stopped).toBe(true);
    await sc.stop(U);
    expect(snapshotOf(await sc.show(U))).toMatchObject({ activeState: 'inactive', mainPid: 0 });
    await expect(sc.kill(U, 'SIGCONT')).rejects.toMatchObject({ exitCode: 1 });
    // stop of a stopped unit: systemd loads it and has nothing to do.
    await sc.stop(U);
  });

  it('--version and the call log', async () => {
    const { fake, sc } = standIn();
    expect(await sc.version()).toBe(252);
    await sc.daemonReload();
    expect(fake.calls()).toEqual([
      ['--user', '--version'],
      ['--user', 'daemon-reload'],
    ]);
  });
});
