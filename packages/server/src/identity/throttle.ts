import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { Problem } from '../http/problem.ts';

/**
 * How many failed logins are free before back-off starts: few per account (guessing one
 * password), more per address (an office behind one NAT address mistypes too).
 */
export interface ThrottlePolicy {
  accountFailures: number;
  addressFailures: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = { accountFailures: 5, addressFailures: 20 };

/** Back-off doubles from 1 s with each failure past the free ones, up to this. */
const MAX_BLOCK_S = 900;
/** Failures this old are forgotten: the count starts again. */
const WINDOW_MS = 15 * 60_000;

/** 429 with the wait in `Retry-After` (the login route copies it into the header). */
export class TooManyAttempts extends Problem {
  constructor(readonly retryAfterSeconds: number) {
    super(
      429,
      'Too Many Requests',
      `too many failed logins for this account or from this address: wait ${retryAfterSeconds} s and try again`,
    );
  }
}

/**
 * Failed logins per account name and per source address, in the database so that every replica
 * counts the same. Keys are names as typed, known or not, so a refusal says nothing about which
 * users exist.
 */
export class LoginThrottle {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE,
  ) {}

  static keys(username: string, address: string): [string, string] {
    return [`account:${username.toLowerCase()}`, `address:${address}`];
  }

  /** Throws `TooManyAttempts` while either key is backing off. */
  async check(keys: string[]): Promise<void> {
    const now = this.now();
    const [row] = rowsOf<{ until: string | Date | null }>(
      await this.db.execute(sql`
        SELECT max(blocked_until) AS until FROM login_throttle
        WHERE key IN (${sql.join(
          keys.map((k) => sql`${k}`),
          sql`, `,
        )}) AND blocked_until > ${now.toISOString()}::timestamptz`),
    );
    if (row?.until)
      throw new TooManyAttempts(Math.ceil((new Date(row.until).getTime() - now.getTime()) / 1000));
  }

  async failed([account, address]: [string, string]): Promise<void> {
    await this.count(account, this.policy.accountFailures);
    await this.count(address, this.policy.addressFailures);
    // Names tried once and never again would otherwise pile up: forget a few old ones each time.
    await this.db.execute(sql`
      DELETE FROM login_throttle WHERE key IN (
        SELECT key FROM login_throttle WHERE last_failure_at < ${new Date(this.now().getTime() - 2 * WINDOW_MS).toISOString()}::timestamptz LIMIT 50)`);
  }

  /** A successful login clears its account's count (not its address's: one good password would reset a spray). */
  async succeeded([account]: [string, string]): Promise<void> {
    await this.db.execute(sql`DELETE FROM login_throttle WHERE key = ${account}`);
  }

  private async count(key: string, free: number): Promise<void> {
    const now = this.now();
    const windowStart = new Date(now.getTime() - WINDOW_MS).toISOString();
    const at = sql`${now.toISOString()}::timestamptz`;
    const failures = sql`CASE WHEN login_throttle.last_failure_at < ${windowStart}::timestamptz THEN 1 ELSE login_throttle.failures + 1 END`;
    const blockedUntil = (n: SQL) =>
      sql`CASE WHEN ${n} >= ${free}::int THEN ${at} + make_interval(secs => least(${MAX_BLOCK_S}::int, power(2, ${n} - ${free}::int))) END`;
    await this.db.execute(sql`
      INSERT INTO login_throttle (key, failures, last_failure_at, blocked_until)
      VALUES (${key}, 1, ${at}, ${blockedUntil(sql`1`)})
      ON CONFLICT (key) DO UPDATE SET
        failures = ${failures}, last_failure_at = EXCLUDED.last_failure_at, blocked_until = ${blockedUntil(failures)}`);
  }
}
