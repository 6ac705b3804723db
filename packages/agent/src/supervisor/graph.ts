/**
 * The dependency graph of the services (`dependsOn`): every problem at once (unknown
 * dependencies, duplicate names, cycles named in full as `api → db → api`), and the layers to
 * start in — dependencies first — or to stop in, the reverse.
 */

export interface GraphNode {
  name: string;
  dependsOn: readonly string[];
}

export class DependencyError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'DependencyError';
  }
}

/** Every problem of the graph, in a stable order; empty when it is sound. */
export function graphProblems(nodes: readonly GraphNode[]): string[] {
  const problems: string[] = [];
  const byName = new Map<string, GraphNode>();
  for (const n of nodes) {
    if (byName.has(n.name)) problems.push(`service ${n.name} is declared twice`);
    else byName.set(n.name, n);
  }
  for (const n of byName.values())
    for (const d of new Set(n.dependsOn))
      if (!byName.has(d)) problems.push(`${n.name} depends on ${d}, which is not a service`);

  // Depth-first search; a dependency met again while still on the path closes a cycle.
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (name: string) => {
    path.push(name);
    onPath.add(name);
    for (const d of new Set(byName.get(name)?.dependsOn ?? [])) {
      if (!byName.has(d) || done.has(d)) continue;
      if (onPath.has(d)) {
        const cycle = [...path.slice(path.indexOf(d)), d];
        problems.push(`dependency cycle: ${cycle.join(' → ')}`);
      } else visit(d);
    }
    path.pop();
    onPath.delete(name);
    done.add(name);
  };
  for (const name of byName.keys()) if (!done.has(name)) visit(name);
  return problems;
}

export function assertGraph(nodes: readonly GraphNode[]): void {
  const problems = graphProblems(nodes);
  if (problems.length) throw new DependencyError(problems);
}

/**
 * Layers to start in: layer 0 depends on nothing, layer n only on earlier layers. Within a
 * layer the input order is kept. Throws a DependencyError on an unsound graph.
 */
export function startLayers(nodes: readonly GraphNode[]): string[][] {
  assertGraph(nodes);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const depth = new Map<string, number>();
  const depthOf = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const deps = byName.get(name)?.dependsOn ?? [];
    const d = deps.length ? 1 + Math.max(...deps.map(depthOf)) : 0;
    depth.set(name, d);
    return d;
  };
  const layers: string[][] = [];
  for (const n of nodes) {
    const d = depthOf(n.name);
    while (layers.length <= d) layers.push([]);
    layers[d]!.push(n.name);
  }
  return layers;
}

/** Layers to stop in: dependents before what they depend on. */
export function stopLayers(nodes: readonly GraphNode[]): string[][] {
  return startLayers(nodes).reverse();
}

/** The services that name `name` in their `dependsOn`. */
export function dependentsOf(nodes: readonly GraphNode[], name: string): string[] {
  return nodes.filter((n) => n.dependsOn.includes(name)).map((n) => n.name);
}

/** Everything `name` needs, transitively, nearest last: the order to start them in. */
export function dependenciesOf(nodes: readonly GraphNode[], name: string): string[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const out: string[] = [];
  const seen = new Set<string>([name]);
  const walk = (n: string) => {
    for (const d of byName.get(n)?.dependsOn ?? []) {
      if (seen.has(d)) continue;
      seen.add(d);
      walk(d);
      out.push(d);
    }
  };
  walk(name);
  return out;
}
