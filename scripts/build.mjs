// `npm run build`: bundles the `opsfleet` command and the workspace packages into
// dist/opsfleet.mjs (plus a chunk per command) for production (the container image runs it).
// Dependencies stay external and
// load from node_modules; nothing is transpiled at run time, which saves tsx's ~25 MB.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const external = new Set();
for (const pkg of readdirSync(join(root, 'packages'))) {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8'));
  // Our own workspace packages are TypeScript sources: they are bundled, never left external.
  for (const dep of Object.keys(manifest.dependencies ?? {}))
    if (!dep.startsWith('@opsfleet/')) external.add(dep).add(`${dep}/*`);
}
const started = performance.now();
rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: { opsfleet: join(root, 'packages/cli/src/main.ts') },
  outdir: join(root, 'dist'),
  outExtension: { '.js': '.mjs' },
  // One chunk per lazily loaded command: a dependency is imported only by the command that
  // uses it (the agent does not load the server's database drivers, nor the exporter's SDKs).
  splitting: true,
  chunkNames: '[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: [...external],
  sourcemap: 'linked',
  logLevel: 'warning',
});
process.stdout.write(`built dist/opsfleet.mjs in ${Math.round(performance.now() - started)} ms\n`);
