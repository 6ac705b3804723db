/** Writes docs/metrics.md from the shipped mapping files: `npm run docs:metrics`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultMappingPath, loadMappings } from '../packages/exporter/src/mappings/catalog.ts';
import { VENDORS } from '../packages/exporter/src/mappings/validate.ts';

const { catalog } = loadMappings(defaultMappingPath());
const byPrefix = new Map<string, ReturnType<typeof catalog.entries>>();
for (const e of catalog.entries()) byPrefix.set(e.prefix, [...(byPrefix.get(e.prefix) ?? []), e]);

const out = [
  '# Metric catalog',
  '',
  'Generated from `packages/exporter/mappings/*.yaml` by `npm run docs:metrics`; do not edit by hand.',
  "Each exported series is `<prefix>_<canonical>`; its value is the cloud's source metric times the scale shown.",
  'Every series carries the labels `cloud_provider, account_id, region, resource_type, resource_id, namespace, metric_name, code_name` (see exporter.md).',
  '',
];
for (const [prefix, entries] of byPrefix) {
  out.push(
    `## ${prefix}`,
    '',
    `${entries.length} metrics.`,
    '',
    `| series | description | ${VENDORS.join(' | ')} |`,
    `|---|---|${VENDORS.map(() => '---').join('|')}|`,
  );
  for (const e of entries) {
    const cells = VENDORS.map((v) => {
      const m = e.vendors[v];
      if (!m) return '';
      return `\`${m.metric}\`${m.scale !== 1 ? ` ×${m.scale}` : ''}${m.unit ? ` (${m.unit})` : ''}`;
    });
    out.push(`| \`${e.name}\` | ${e.description} | ${cells.join(' | ')} |`);
  }
  out.push('');
}
writeFileSync(join(import.meta.dirname, '../docs/metrics.md'), out.join('\n'));
process.stdout.write(`docs/metrics.md: ${catalog.entries().length} metrics\n`);
