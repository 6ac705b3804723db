#!/usr/bin/env node
import { runCli } from './usage.ts';

// The AWS SDK warns at every start that its releases after January 2027 need Node 22. The
// versions the lockfile pins run on Node 20 (docs/development.md, Dependencies); the warning
// would be the first thing a newcomer reads. An explicit setting of the variable wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

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
