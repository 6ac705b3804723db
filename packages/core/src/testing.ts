import { execFileSync } from 'node:child_process';
import { inspect } from 'node:util';

type Falsy = false | 0 | 0n | '' | null | undefined;

export interface EventuallyOptions<T> {
  ok?: (v: T) => boolean;
  timeoutMs?: number;
  everyMs?: number;
}

/**
 * Polls `probe` until `ok` holds for its value (default: the value is truthy), and returns that
 * value. A probe that throws counts as "not yet". On timeout, throws an Error naming `what`, the
 * time waited and the last value or error seen. `what` may be a function, evaluated only then.
 */
export function eventually<T>(
  what: string | (() => string),
  probe: () => T | Promise<T>,
  opts?: EventuallyOptions<T> & { ok?: undefined },
): Promise<Exclude<T, Falsy>>;
export function eventually<T>(
  what: string | (() => string),
  probe: () => T | Promise<T>,
  opts: EventuallyOptions<T> & { ok: (v: T) => boolean },
): Promise<T>;
export async function eventually<T>(
  what: string | (() => string),
  probe: () => T | Promise<T>,
  { ok = Boolean, timeoutMs = 15_000, everyMs = 25 }: EventuallyOptions<T> = {},
): Promise<T> {
  const started = Date.now();
  for (;;) {
    let seen: { value: T } | { error: unknown };
    try {
      const value = await probe();
      if (ok(value)) return value;
      seen = { value };
    } catch (error) {
      seen = { error };
    }
    const waited = Date.now() - started;
    if (waited >= timeoutMs) {
      const name = typeof what === 'string' ? what : what();
      const last = 'error' in seen ? `last error ${explain(seen.error)}` : `last value ${show(seen.value)}`;
      throw new Error(
        `timed out after ${waited}ms waiting for ${name}; ${last}`,
        'error' in seen ? { cause: seen.error } : undefined,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const explain = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : show(err));

// Bounded so a large response cannot bury the reason for the failure.
const show = (v: unknown) => inspect(v, { depth: 4, breakLength: Number.POSITIVE_INFINITY }).slice(0, 400);

/** A permutation of `items` that depends only on `seed`, so a failing order can be replayed. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Whether a program a test needs (a real peer or its tool) is installed. Locally a missing one
 * skips its tests and says which Debian package installs it; in CI (`CI=true`) it fails the run.
 */
export function peerAvailable(binary: string, aptPackage: string): boolean {
  try {
    execFileSync('which', [binary], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI === 'true')
      throw new Error(`${binary} is required in CI: apt-get install -y ${aptPackage}`);
    process.stderr.write(`skipping: ${binary} not installed (apt-get install -y ${aptPackage})\n`);
    return false;
  }
}
