// Builds the console (packages/web → packages/web/dist) when it has never been built or its
// sources changed since, so `npm start` serves the current console. `--force` always builds.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const web = join(import.meta.dirname, '../packages/web');
const built = join(web, 'dist/index.html');

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f))));
}

const sources = ['src', 'index.html', 'vite.config.ts', 'public'].map((p) => join(web, p)).filter(existsSync);
const stale =
  process.argv.includes('--force') ||
  !existsSync(built) ||
  Math.max(...sources.map(newest)) > statSync(built).mtimeMs;
if (stale && sources.length) {
  process.stderr.write('opsfleet: building the console (vite build)…\n');
  const { build } = await import('vite');
  await build({ root: web, configFile: join(web, 'vite.config.ts'), logLevel: 'warn' });
}
