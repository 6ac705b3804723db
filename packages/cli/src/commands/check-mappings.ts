import { checkCatalog, defaultMappingPath, loadMappings } from '@opsfleet/exporter';

/** `opsfleet check-mappings [path…]`: structure, duplicate canonical names, entries without a vendor metric. */
export async function checkMappings(
  args: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const paths = args.length ? args : [env.MAPPING_PATH || defaultMappingPath()];
  const { catalog, problems } = loadMappings(paths);
  const all = [...problems, ...checkCatalog(catalog)];
  for (const p of all) process.stderr.write(`${p.path}: ${p.message}\n`);
  if (all.length) {
    process.stderr.write(`${all.length} problem(s) found\n`);
    return 2;
  }
  const entries = catalog.entries();
  process.stdout.write(`ok: ${entries.length} canonical metrics in ${paths.join(', ')}\n`);
  return 0;
}
