import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentSection, runAgentBench } from './agent.ts';
import { exporterSection, runExporterBench } from './exporter.ts';
import { notifySection, runNotifyBench } from './notify.ts';
import { machine } from './render.ts';
import { runServerBench, serverSection } from './server.ts';

/**
 * `npm run bench [suite…]`: runs the named suites (all by default) and rewrites their sections
 * of docs/benchmarks.md, leaving the other suites' sections as they were.
 */
const SUITES: Record<string, (log: (s: string) => void) => Promise<string>> = {
  exporter: async (log) => exporterSection(await runExporterBench(log)),
  server: async (log) => serverSection(await runServerBench(log)),
  notify: async (log) => notifySection(await runNotifyBench(log)),
  agent: async (log) => agentSection(await runAgentBench(log)),
};

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(SUITES);
const unknown = wanted.filter((w) => !SUITES[w]);
if (unknown.length) {
  process.stderr.write(
    `unknown benchmark suite ${unknown.join(', ')}: use ${Object.keys(SUITES).join(', ')}\n`,
  );
  process.exit(2);
}

const file = join(import.meta.dirname, '../docs/benchmarks.md');
const HEADER = `# Benchmarks

Written by \`npm run bench\` (one suite: \`npm run bench:<suite>\`). Each section says its
workload, its machine and date, and the reference it is measured against in the same run.
`;
let doc = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
if (!doc.includes('<!-- suite:')) doc = HEADER;
const log = (s: string) => process.stderr.write(s);
for (const suite of wanted) {
  const started = new Date().toISOString().slice(0, 10);
  const body = await SUITES[suite]!(log);
  const section = `<!-- suite:${suite} -->\n${body}\nMachine: ${machine()}; run on ${started}. Reproduce: \`npm run bench:${suite}\`.\n<!-- /suite:${suite} -->`;
  const re = new RegExp(`<!-- suite:${suite} -->[\\s\\S]*?<!-- /suite:${suite} -->`);
  doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, doc);
  log(`${suite}: written to docs/benchmarks.md\n`);
}
