import picomatch from 'picomatch';
import type { FileSource } from './spec.ts';

/**
 * Which files of a source are taken, and where they go. Paths are relative to the source's root
 * and `/`-separated. Globs use `dot: true`: `**` (the default include) takes `.env` and files
 * under `.cache/`, and `*.swp` catches vim's `.name.swp`; a hidden file is still a file someone
 * may want archived, and temp names and ignored folders are the way to leave files out.
 */
export type Skip =
  | 'invalid-path'
  | 'not-direct-child'
  | 'ignored-dir'
  | 'temp-name'
  | 'not-included'
  | 'excluded';

export type Match =
  | { taken: true; destination: string; labels: Record<string, string>; route?: string }
  | { taken: false; reason: Skip };

export interface SourceMatcher {
  match(relPath: string): Match;
  /** Whether a walk enters this folder (relative to the root): not for ignored names, nor below the root when not recursive. */
  enters(relDir: string): boolean;
}

const OPTIONS = { dot: true } as const;

/** `app-a/`, `./logs/nginx` → `app-a`, `logs/nginx`. */
function normaliseSubdir(subdir: string): string {
  return subdir
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

/** A relative path is usable when it names something strictly inside the root by its segments alone. */
export function validRelPath(relPath: string): boolean {
  if (relPath === '' || relPath.startsWith('/') || relPath.includes('\0')) return false;
  return relPath.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

export function compileSource(source: FileSource): SourceMatcher {
  const included = picomatch(source.include, OPTIONS);
  const excluded = source.exclude.length > 0 ? picomatch(source.exclude, OPTIONS) : () => false;
  const temp = source.tempPatterns.length > 0 ? picomatch(source.tempPatterns, OPTIONS) : () => false;
  const ignored = new Set(source.ignoreDirs);
  const routes = source.routes.map((r) => ({ ...r, prefix: `${normaliseSubdir(r.subdir)}/` }));

  return {
    match(relPath) {
      if (!validRelPath(relPath)) return { taken: false, reason: 'invalid-path' };
      const parts = relPath.split('/');
      const name = parts[parts.length - 1]!;
      if (!source.recursive && parts.length > 1) return { taken: false, reason: 'not-direct-child' };
      if (parts.slice(0, -1).some((p) => ignored.has(p))) return { taken: false, reason: 'ignored-dir' };
      if (temp(name)) return { taken: false, reason: 'temp-name' };
      if (!included(relPath)) return { taken: false, reason: 'not-included' };
      if (excluded(relPath)) return { taken: false, reason: 'excluded' };
      const route = routes.find((r) => relPath.startsWith(r.prefix));
      if (!route) return { taken: true, destination: source.destination, labels: { ...source.labels } };
      return {
        taken: true,
        destination: route.destination ?? source.destination,
        labels: { ...source.labels, ...route.labels },
        route: route.subdir,
      };
    },
    enters(relDir) {
      if (!validRelPath(relDir)) return false;
      if (!source.recursive) return false;
      return !relDir.split('/').some((p) => ignored.has(p));
    },
  };
}
