import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { RE2 as RE2Type } from 're2-wasm';

/**
 * Full matches of user-written regular expressions (silence and rule matchers) on RE2, the
 * engine Alertmanager's matchers use (Go's regexp has its semantics): time linear in the value
 * whatever the pattern, so `(a+)+$` cannot stall the server as it stalls a backtracking engine.
 *
 * re2-wasm runs RE2 in a WebAssembly instance with a fixed 16 MB heap that JavaScript's garbage
 * collector does not see: a compiled pattern lives there until it is deleted, and each one's
 * match cache may take up to 8 MB of it. So compiled patterns are kept in a bounded LRU that
 * deletes what it evicts, and when the heap runs out anyway (the instance aborts and is unusable
 * from then on) a fresh instance is loaded and the match tried once more.
 */
export const MAX_PATTERN_LENGTH = 10_000;
/** Compiled patterns kept; each is a few KB of the wasm heap before its match cache grows. */
const CACHED_PATTERNS = 500;

const require = createRequire(import.meta.url);
const MAIN = require.resolve('re2-wasm');
const GLUE = join(dirname(MAIN), '../wasm/re2.js');

type Engine = typeof RE2Type;
// The instance lives in the glue module: dropping both from the module cache and loading again
// gives a new instance with an empty heap.
function load(): Engine {
  delete require.cache[MAIN];
  delete require.cache[GLUE];
  return (require('re2-wasm') as { RE2: Engine }).RE2;
}

let Engine = load();
const cache = new Map<string, RE2Type>();

const free = (re: RE2Type) => (re as unknown as { wrapper: { delete(): void } }).wrapper.delete();

const aborted = (err: unknown) => err instanceof WebAssembly.RuntimeError;

function restart(): void {
  cache.clear();
  Engine = load();
}

function compiled(pattern: string): RE2Type {
  const hit = cache.get(pattern);
  if (hit) {
    cache.delete(pattern);
    cache.set(pattern, hit);
    return hit;
  }
  const re = new Engine(`^(?:${pattern})$`, 'u');
  cache.set(pattern, re);
  if (cache.size > CACHED_PATTERNS) {
    const [oldest, gone] = cache.entries().next().value!;
    cache.delete(oldest);
    free(gone);
  }
  return re;
}

/**
 * Why RE2 refuses `pattern`, or null. The bare pattern is compiled first, so that `a)|(b` cannot
 * escape the group that anchors it.
 */
export function re2Problem(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH)
    return `is ${pattern.length} characters long; at most ${MAX_PATTERN_LENGTH} are allowed`;
  for (let attempt = 0; ; attempt++) {
    try {
      free(new Engine(pattern, 'u'));
      compiled(pattern);
      return null;
    } catch (err) {
      if (!aborted(err))
        return (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
      restart();
      if (attempt > 0) return 'needs more memory than RE2 allows a pattern; simplify it';
    }
  }
}

/**
 * Whether `pattern` matches the whole of `value`. A pattern RE2 cannot run (one stored before
 * patterns were checked with RE2) matches nothing.
 */
export function fullMatch(pattern: string, value: string): boolean {
  for (let attempt = 0; ; attempt++) {
    try {
      return compiled(pattern).test(value);
    } catch (err) {
      if (!aborted(err)) return false;
      restart();
      if (attempt > 0) return false;
    }
  }
}
