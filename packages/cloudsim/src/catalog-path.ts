import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The exporter's mapping catalog, whose metric names the simulators report; found through the package so bundles find it too. */
export const CATALOG = join(
  dirname(createRequire(import.meta.url).resolve('@opsfleet/exporter/package.json')),
  'mappings',
);
