import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { readYaml } from '@opsfleet/core';
import { sanitizeMetricName } from '../naming.ts';
import { type MappingProblem, VENDORS, type Vendor, validateMappingDocument } from './validate.ts';

export interface VendorMetric {
  metric: string;
  unit?: string;
  scale: number;
  dimensions: string[];
}

export interface CatalogEntry {
  prefix: string;
  canonical: string;
  /** Exported series name `<prefix>_<canonical>`. */
  name: string;
  description: string;
  file: string;
  vendors: Partial<Record<Vendor, VendorMetric>>;
}

export interface Resolved {
  name: string;
  scale: number;
  canonical?: string;
  prefix?: string;
}

/**
 * The shipped catalog, `packages/exporter/mappings`, found through the package rather than this
 * file's location so that it is found from the bundled build too.
 */
export function defaultMappingPath(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@opsfleet/exporter/package.json')), 'mappings');
}

/**
 * Metric mappings of every loaded file: which canonical name a cloud's source metric maps to,
 * its scale, and the namespace's prefix. Lookups key on the source metric (the public exporter
 * stored scales by canonical name but looked them up by source name, so most never applied),
 * and namespaces match case-insensitively (`QCE/GWLB` in the file, `qce/gwlb` from the API).
 */
export class MappingCatalog {
  private readonly prefixes = new Map<string, string>();
  private readonly aliases = new Map<string, { entry: CatalogEntry; scale: number }>();
  private readonly byName = new Map<string, CatalogEntry>();
  readonly warnings: string[] = [];
  private readonly all: CatalogEntry[] = [];

  add(entry: CatalogEntry, namespaces: Partial<Record<Vendor, string>>): void {
    this.all.push(entry);
    this.byName.set(entry.name, entry);
    for (const vendor of VENDORS) {
      const v = entry.vendors[vendor];
      const ns = namespaces[vendor];
      if (!v || !ns) continue;
      const key = `${vendor}|${ns.toLowerCase()}|${v.metric}`;
      const prior = this.aliases.get(key);
      if (prior && prior.entry.name !== entry.name) {
        this.warnings.push(
          `${entry.file}: ${vendor} ${ns} ${v.metric} maps to ${entry.name}, replacing ${prior.entry.name} from ${prior.entry.file}`,
        );
      }
      this.aliases.set(key, { entry, scale: v.scale });
    }
  }

  setPrefix(namespace: string, prefix: string): void {
    this.prefixes.set(namespace.toLowerCase(), prefix);
  }

  prefixFor(namespace: string): string | undefined {
    return this.prefixes.get(namespace.toLowerCase());
  }

  resolve(cloud: string, namespace: string, metric: string): Resolved {
    const hit = this.aliases.get(`${cloud}|${namespace.toLowerCase()}|${metric}`);
    if (hit)
      return {
        name: hit.entry.name,
        scale: hit.scale,
        canonical: hit.entry.canonical,
        prefix: hit.entry.prefix,
      };
    const prefix = this.prefixFor(namespace);
    return { name: sanitizeMetricName(`${prefix ?? namespace}_${metric}`), scale: 1, prefix };
  }

  /** HELP text: the description and, where known, the unit after scaling. */
  help(name: string): string {
    const entry = this.byName.get(name);
    if (entry) return entry.description || `${entry.prefix} ${entry.canonical}`;
    return 'Cloud metric without a mapping entry (raw value, source unit).';
  }

  entries(): CatalogEntry[] {
    return [...this.all];
  }
}

function listFiles(paths: string[]): { files: string[]; problems: MappingProblem[] } {
  const files: string[] = [];
  const problems: MappingProblem[] = [];
  for (const p of paths) {
    if (!existsSync(p)) {
      problems.push({ path: p, message: 'no such file or directory (check MAPPING_PATH)' });
    } else if (statSync(p).isDirectory()) {
      files.push(
        ...readdirSync(p)
          .filter((n) => n.endsWith('.yaml') || n.endsWith('.yml'))
          .sort()
          .map((n) => join(p, n)),
      );
    } else files.push(p);
  }
  return { files, problems };
}

const num = (v: unknown) => (v === undefined || v === null || v === '' ? 1 : Number(v));

/**
 * Loads mapping files and directories (a string may hold several, comma-separated, as
 * MAPPING_PATH does). A file that fails validation is skipped; its problems are returned.
 */
export function loadMappings(paths: string | string[]): {
  catalog: MappingCatalog;
  problems: MappingProblem[];
} {
  const list = (Array.isArray(paths) ? paths : [paths])
    .flatMap((p) => p.split(','))
    .map((p) => p.trim())
    .filter(Boolean);
  const { files, problems } = listFiles(list);
  const catalog = new MappingCatalog();
  for (const file of files) {
    const read = readYaml(readFileSync(file, 'utf8'));
    if (!read.ok) {
      problems.push(...read.problems.map((p) => ({ path: `${file}: ${p.path}`, message: p.message })));
      continue;
    }
    const doc = read.value;
    const found = validateMappingDocument(doc);
    if (found.length) {
      problems.push(...found.map((p) => ({ path: `${basename(file)}: ${p.path}`, message: p.message })));
      continue;
    }
    const d = doc as {
      prefix: string;
      namespaces?: Partial<Record<Vendor, string>>;
      canonical?: Record<string, Record<string, unknown>>;
    };
    const prefix = String(d.prefix);
    const namespaces = d.namespaces ?? {};
    for (const ns of Object.values(namespaces)) if (ns) catalog.setPrefix(ns, prefix);
    for (const [canonical, raw] of Object.entries(d.canonical ?? {})) {
      const vendors: Partial<Record<Vendor, VendorMetric>> = {};
      for (const vendor of VENDORS) {
        const v = raw[vendor] as Record<string, unknown> | undefined;
        if (!v?.metric) continue;
        vendors[vendor] = {
          metric: String(v.metric),
          unit: v.unit === undefined ? undefined : String(v.unit),
          scale: num(v.scale),
          dimensions: (v.dimensions as string[] | null) ?? [],
        };
      }
      catalog.add(
        {
          prefix,
          canonical,
          name: sanitizeMetricName(`${prefix}_${canonical}`),
          description: typeof raw.description === 'string' ? raw.description : '',
          file: basename(file),
          vendors,
        },
        namespaces,
      );
    }
  }
  return { catalog, problems };
}

/**
 * The extra checks of `opsfleet check-mappings`: entries without any vendor metric, canonical
 * names defined twice for one prefix, and a source metric claimed by two canonical names.
 */
export function checkCatalog(catalog: MappingCatalog): MappingProblem[] {
  const out: MappingProblem[] = [];
  const seen = new Map<string, string>();
  for (const e of catalog.entries()) {
    if (!Object.keys(e.vendors).length)
      out.push({
        path: `${e.file}: canonical.${e.canonical}`,
        message: 'has no vendor metric: add at least one of aliyun, tencent, aws, huawei with a metric',
      });
    const prior = seen.get(e.name);
    if (prior)
      out.push({
        path: `${e.file}: canonical.${e.canonical}`,
        message: `duplicate canonical name ${e.name} (also in ${prior})`,
      });
    seen.set(e.name, e.file);
  }
  out.push(
    ...catalog.warnings.map((w) => ({ path: w.split(':')[0]!, message: w.slice(w.indexOf(':') + 2) })),
  );
  return out;
}

let shipped: MappingCatalog | undefined;

/**
 * The source metrics the shipped catalog maps for one cloud and namespace: the built-in metric
 * list discovery unions with the cloud's metadata. The catalog is read once per process.
 */
export function shippedMetrics(vendor: Vendor, namespace: string): string[] {
  shipped ??= loadMappings(defaultMappingPath()).catalog;
  const prefix = shipped.prefixFor(namespace);
  return shipped
    .entries()
    .filter((e) => e.prefix === prefix && e.vendors[vendor])
    .map((e) => e.vendors[vendor]!.metric);
}
