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

export class SeriesStore {
  private readonly groups = new Map<string, Series[]>();
  /** The rendered text, kept until the series change: scrapes between collections cost nothing. */
  private rendered: string | undefined;

  /** Replaces the given groups with `series` (each series lands in the group its labels name). */
  replace(groups: string[], series: Series[]): void {
    this.rendered = undefined;
    for (const g of groups) this.groups.delete(g);
    for (const s of series) {
      const g = groupKey(s.labels.cloud_provider ?? '', s.labels.account_id ?? '', s.labels.namespace ?? '');
      const list = this.groups.get(g);
      if (list) list.push(s);
      else this.groups.set(g, [s]);
    }
  }

  /** Drops every group of an account (it left accounts.yaml) or of a whole provider. */
  dropWhere(predicate: (group: string) => boolean): void {
    this.rendered = undefined;
    for (const g of [...this.groups.keys()]) if (predicate(g)) this.groups.delete(g);
  }

  size(): number {
    let n = 0;
    for (const list of this.groups.values()) n += list.length;
    return n;
  }

  /** Series counts per provider and namespace, only for namespaces that produced series. */
  countsByNamespace(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const list of this.groups.values()) {
      for (const s of list) {
        const cloud = s.labels.cloud_provider ?? '';
        const ns = s.labels.namespace ?? '';
        out[cloud] ??= {};
        out[cloud][ns] = (out[cloud][ns] ?? 0) + 1;
      }
    }
    return out;
  }

  render(help: (name: string) => string): string {
    this.rendered ??= this.renderAll(help);
    return this.rendered;
  }

  private renderAll(help: (name: string) => string): string {
    const byName = new Map<string, Series[]>();
    for (const list of this.groups.values()) {
      for (const s of list) {
        const l = byName.get(s.name);
        if (l) l.push(s);
        else byName.set(s.name, [s]);
      }
    }
    const out: string[] = [];
    for (const name of [...byName.keys()].sort()) {
      const list = byName.get(name)!;
      const keys = new Set<string>();
      for (const s of list) for (const k of Object.keys(s.labels)) keys.add(k);
      const schema = [...keys].sort();
      out.push(`# HELP ${name} ${escapeHelp(help(name))}`, `# TYPE ${name} gauge`);
      const lines = list.map((s) => {
        let labels = '';
        for (const k of schema) labels += `${labels ? ',' : ''}${k}="${escapeLabel(s.labels[k] ?? '')}"`;
        return `${name}{${labels}} ${formatValue(s.value)}`;
      });
      lines.sort();
      for (const line of lines) out.push(line);
    }
    return out.length ? `${out.join('\n')}\n` : '';
  }
}
