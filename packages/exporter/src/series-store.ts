/**
 * The business series of the last collection, grouped by (provider, account, namespace) so a
 * collection replaces exactly what it re-read: series of resources that disappeared are gone
 * after the next collection, and a filtered manual run leaves other groups alone.
 *
 * Rendering is done here rather than through prom-client gauges: a metric name gets one label
 * schema (the union of its series' labels, missing ones rendered empty, which Prometheus reads
 * as absent), whichever cloud reported first.
 */
export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function groupKey(cloud: string, accountId: string, namespace: string): string {
  return `${cloud}|${accountId}|${namespace.toLowerCase()}`;
}

const NEEDS_ESCAPE = /[\\"\n]/;

function escapeLabel(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** The series of one metric name within one group, with its rendered lines cached per label schema. */
interface Family {
  series: Series[];
  keys: Set<string>;
  cache?: { schema: string; text: string };
}

export class SeriesStore {
  private readonly groups = new Map<string, Map<string, Family>>();
  /**
   * The exposition as the families' cached texts in order, kept until the series change:
   * scrapes between collections cost nothing, and the text is held once, not joined again.
   */
  private rendered: string[] | undefined;

  /**
   * Replaces the given groups with `series` (each series lands in the group its labels name)
   * and renders their lines now, in the collection, so a scrape mostly joins ready text.
   */
  replace(groups: string[], series: Series[]): void {
    this.rendered = undefined;
    for (const g of groups) this.groups.delete(g);
    const touched = new Set<Family>();
    for (const s of series) {
      const g = groupKey(s.labels.cloud_provider ?? '', s.labels.account_id ?? '', s.labels.namespace ?? '');
      let families = this.groups.get(g);
      if (!families) {
        families = new Map();
        this.groups.set(g, families);
      }
      let family = families.get(s.name);
      if (!family) {
        family = { series: [], keys: new Set() };
        families.set(s.name, family);
      }
      family.series.push(s);
      for (const k in s.labels) family.keys.add(k);
      touched.add(family);
    }
    for (const [name, family] of this.familiesOf(touched)) {
      const schema = [...family.keys].sort();
      family.cache = { schema: schema.join(','), text: renderLines(name, schema, family.series) };
    }
  }

  private *familiesOf(touched: Set<Family>): Generator<[string, Family]> {
    for (const families of this.groups.values()) {
      for (const [name, family] of families) if (touched.has(family)) yield [name, family];
    }
  }

  /** Drops every group the predicate selects (accounts or products no longer collected). */
  dropWhere(predicate: (group: string) => boolean): void {
    this.rendered = undefined;
    for (const g of [...this.groups.keys()]) if (predicate(g)) this.groups.delete(g);
  }

  size(): number {
    let n = 0;
    for (const families of this.groups.values()) for (const f of families.values()) n += f.series.length;
    return n;
  }

  /** Series counts per provider and namespace, only for namespaces that produced series. */
  countsByNamespace(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const families of this.groups.values()) {
      for (const f of families.values()) {
        for (const s of f.series) {
          const cloud = s.labels.cloud_provider ?? '';
          const ns = s.labels.namespace ?? '';
          out[cloud] ??= {};
          out[cloud][ns] = (out[cloud][ns] ?? 0) + 1;
        }
      }
    }
    return out;
  }

  /** The exposition text in chunks, for writing to a response without joining it. */
  renderChunks(help: (name: string) => string): readonly string[] {
    this.rendered ??= this.renderAll(help);
    return this.rendered;
  }

  render(help: (name: string) => string): string {
    return this.renderChunks(help).join('');
  }

  /**
   * One block per metric name with the union of its labels as schema. Each group's lines are
   * cached per schema, so after a collection only the groups it replaced are rendered again.
   */
  private renderAll(help: (name: string) => string): string[] {
    const byName = new Map<string, Family[]>();
    for (const families of this.groups.values()) {
      for (const [name, family] of families) {
        const list = byName.get(name);
        if (list) list.push(family);
        else byName.set(name, [family]);
      }
    }
    const out: string[] = [];
    for (const name of [...byName.keys()].sort()) {
      const families = byName.get(name)!;
      const keys = new Set<string>();
      for (const f of families) for (const k of f.keys) keys.add(k);
      const schema = [...keys].sort();
      const schemaKey = schema.join(',');
      out.push(`# HELP ${name} ${escapeHelp(help(name))}\n# TYPE ${name} gauge\n`);
      for (const f of families) {
        if (f.cache?.schema !== schemaKey)
          f.cache = { schema: schemaKey, text: renderLines(name, schema, f.series) };
        out.push(f.cache.text);
      }
    }
    return out;
  }
}

/** Array joins rather than `+=` chains: about 2.5 times faster here for large families. */
function renderLines(name: string, schema: string[], series: Series[]): string {
  const prefixes = schema.map((k) => `${k}="`);
  const parts = new Array<string>(schema.length);
  const lines = new Array<string>(series.length + 1);
  for (let i = 0; i < series.length; i++) {
    const s = series[i]!;
    for (let j = 0; j < schema.length; j++)
      parts[j] = `${prefixes[j]}${escapeLabel(s.labels[schema[j]!] ?? '')}"`;
    lines[i] = `${name}{${parts.join(',')}} ${formatValue(s.value)}`;
  }
  lines[series.length] = '';
  return lines.join('\n');
}
