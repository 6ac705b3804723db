import { renameSync, writeFileSync } from 'node:fs';
import { parseDetachArgs, startDetached } from './detached.ts';

/**
 * `opsfleet-detach`, what a deploy script runs through `$OPSFLEET_DETACH`: starts the command
 * detached, writes its pid (setsid, nohup) to `--pid-file`, prints the pid or unit, and exits.
 */
async function main(argv: string[]): Promise<number> {
  let req: ReturnType<typeof parseDetachArgs>;
  try {
    req = parseDetachArgs(argv);
  } catch (err) {
    process.stderr.write(`opsfleet-detach: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    const started = await startDetached(req);
    if (req.pidFile && started.pid) {
      writeFileSync(`${req.pidFile}.tmp`, `${started.pid}\n`);
      renameSync(`${req.pidFile}.tmp`, req.pidFile);
    }
    process.stdout.write(`${started.unit ?? started.pid}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`opsfleet-detach: ${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
