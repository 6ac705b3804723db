#!/usr/bin/env node
import { runCli } from './usage.ts';

runCli(process.argv.slice(2)).then(
  (code) => {
    // -1: a server runs on until a signal.
    if (code !== -1) process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`opsfleet: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
