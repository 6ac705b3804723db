import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { z } from 'zod';
import { ServiceSpec } from '../spec.ts';

/**
 * Services found by scanning work folders for `package.json` files (the seed's discovery). A
 * package says how it runs in an `opsfleet.service` block (any service field); without one, a
 * package with a `start` script runs as `npm run start` in its folder. Folders named
 * node_modules or starting with a dot are not entered. Problems are reported per file, not
 * thrown: one bad package must not stop the agent.
 */
export interface Discovered {
  services: z.output<typeof ServiceSpec>[];
  problems: { path: string; message: string }[];
}

const MAX_DEPTH = 4;

function packageFiles(dir: string, depth = 0): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const here = entries.some((e) => e.isFile() && e.name === 'package.json')
    ? [join(dir, 'package.json')]
    : [];
  if (depth >= MAX_DEPTH) return here;
  return [
    ...here,
    ...entries
      .filter((e) => e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.'))
      .flatMap((e) => packageFiles(join(dir, e.name), depth + 1)),
  ];
}

/** A package name as a service name: `@team/api` → `team-api`. */
export const serviceNameOf = (pkg: string) => pkg.replace(/^@/, '').replace(/[^A-Za-z0-9._-]+/g, '-');

export function discoverServices(dirs: string[]): Discovered {
  const out: Discovered = { services: [], problems: [] };
  for (const dir of dirs) {
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
      out.problems.push({ path: dir, message: 'not a folder; fix agent.discover' });
      continue;
    }
    for (const file of packageFiles(dir)) {
      let pkg: {
        name?: string;
        scripts?: Record<string, string>;
        opsfleet?: { service?: Record<string, unknown> };
      };
      try {
        pkg = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        out.problems.push({ path: file, message: `not JSON: ${(err as Error).message}` });
        continue;
      }
      const cwd = join(file, '..');
      const declared = pkg.opsfleet?.service;
      if (!declared && !pkg.scripts?.start) continue;
      const candidate = {
        name: serviceNameOf(pkg.name ?? basename(cwd)),
        command: 'npm',
        args: ['run', 'start'],
        cwd,
        ...declared,
      };
      const parsed = ServiceSpec.safeParse(candidate);
      if (parsed.success) out.services.push(parsed.data);
      else
        for (const issue of parsed.error.issues)
          out.problems.push({
            path: `${file}: opsfleet.service.${issue.path.join('.')}`,
            message: issue.message,
          });
    }
  }
  return out;
}
