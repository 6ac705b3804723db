import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The server's encryption key, for secrets it must keep in the database (the token signing
 * secret; any domain may seal its own with it). AES-256-GCM; a sealed value names the key that
 * sealed it (`v1.<keyId>.<iv>.<tag>.<ciphertext>`, base64url), so that during a rotation values
 * sealed with the previous key still open and can be sealed again with the new one.
 *
 * Where the key comes from (`SecretBox.fromEnv`), first found wins:
 * - `ENCRYPTION_KEY`: 32 bytes as 64 hex digits or base64;
 * - `ENCRYPTION_KEY_FILE`: a file holding the same;
 * - `<DATA_DIR>/encryption.key`, generated (mode 0600) at the first start.
 * `ENCRYPTION_KEY_PREVIOUS` (or `_FILE`) names the key being rotated away from.
 * Replicas must share the key: a value sealed by one is opened by all.
 */
export class SecretBox {
  readonly keyId: string;
  private readonly keys: Map<string, Buffer>;

  constructor(key: Buffer, previous: Buffer[] = []) {
    for (const k of [key, ...previous])
      if (k.length !== 32) throw new Error(`an encryption key must be 32 bytes, got ${k.length}`);
    this.keyId = keyIdOf(key);
    this.keys = new Map([...previous, key].map((k) => [keyIdOf(k), k]));
  }

  /** The key configured by the environment (see the class comment); `dataDir` holds a generated one. */
  static fromEnv(env: Record<string, string | undefined>, dataDir: string): SecretBox {
    const current = keyFromEnv(env, 'ENCRYPTION_KEY') ?? generatedKey(join(dataDir, 'encryption.key'));
    const previous = keyFromEnv(env, 'ENCRYPTION_KEY_PREVIOUS');
    return new SecretBox(current, previous ? [previous] : []);
  }

  /**
   * Throws, naming the variable or file and the fix, when a configured key cannot be used; reads
   * what `fromEnv` would and creates nothing, so a start with a bad key stops before the database
   * or the data directory is touched.
   */
  static checkEnv(env: Record<string, string | undefined>, dataDir: string): void {
    keyFromEnv(env, 'ENCRYPTION_KEY_PREVIOUS');
    if (keyFromEnv(env, 'ENCRYPTION_KEY')) return;
    const file = join(dataDir, 'encryption.key');
    if (existsSync(file)) parseKey(readFileSync(file, 'utf8'), file);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.keyId)!, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', this.keyId, iv, cipher.getAuthTag(), data]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  /** The plain text of a sealed value; throws, naming both keys, when this box lacks its key. */
  open(sealed: string): string {
    const [version, keyId, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !keyId || !iv || !tag || data === undefined)
      throw new Error('not a value sealed by opsfleet (expected v1.<keyId>.<iv>.<tag>.<data>)');
    const key = this.keys.get(keyId);
    if (!key)
      throw new Error(
        `the value was sealed with encryption key ${keyId}, and this server has key ${this.keyId}: ` +
          'give every replica the same ENCRYPTION_KEY (or ENCRYPTION_KEY_FILE); while rotating, set the old one as ENCRYPTION_KEY_PREVIOUS',
      );
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }

  /** Whether `sealed` was sealed with the current key (if not, seal it again to finish a rotation). */
  isCurrent(sealed: string): boolean {
    return sealed.split('.')[1] === this.keyId;
  }
}

/** A short, public name of a key: says which key sealed a value without revealing it. */
const keyIdOf = (key: Buffer) =>
  createHash('sha256').update('opsfleet key id').update(key).digest('hex').slice(0, 12);

function parseKey(raw: string, name: string): Buffer {
  const text = raw.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32)
    throw new Error(
      `${name} must be 32 bytes as 64 hex digits or base64 (it decodes to ${key.length} bytes); generate one with: openssl rand -base64 32`,
    );
  return key;
}

function keyFromEnv(env: Record<string, string | undefined>, name: string): Buffer | undefined {
  if (env[name]) return parseKey(env[name], name);
  const file = env[`${name}_FILE`];
  if (!file) return undefined;
  try {
    return parseKey(readFileSync(file, 'utf8'), `${name}_FILE (${file})`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(`${name}_FILE names ${file}, which does not exist`);
    throw err;
  }
}

/** The key file of a single-machine install, made at the first start; kept when it exists. */
function generatedKey(file: string): Buffer {
  try {
    return parseKey(readFileSync(file, 'utf8'), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(file), { recursive: true });
  try {
    // `wx`: two processes starting together keep whichever key was written first.
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return parseKey(readFileSync(file, 'utf8'), file);
}

let processBox: SecretBox | undefined;
/**
 * For an embedding that passes no key (tests, tools): one random key for this process, so that
 * servers in the process share it; what it sealed cannot be opened after the process ends.
 */
export function processSecretBox(): SecretBox {
  processBox ??= new SecretBox(randomBytes(32));
  return processBox;
}
