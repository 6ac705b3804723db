import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretBox } from './secret-box.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'secret-box-'));

describe('SecretBox', () => {
  it('opens what it sealed, and refuses a changed ciphertext', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal('the secret');
    expect(sealed).toMatch(new RegExp(`^v1\\.${box.keyId}\\.`));
    expect(sealed).not.toContain('the secret');
    expect(box.open(sealed)).toBe('the secret');
    const parts = sealed.split('.');
    parts[4] = Buffer.from('the secreT').toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow(/unable to authenticate/);
  });

  it('takes ENCRYPTION_KEY as hex or base64, or ENCRYPTION_KEY_FILE, and names a bad one', () => {
    const key = randomBytes(32);
    const hex = SecretBox.fromEnv({ ENCRYPTION_KEY: key.toString('hex') }, dir());
    const b64 = SecretBox.fromEnv({ ENCRYPTION_KEY: key.toString('base64') }, dir());
    const file = join(dir(), 'key');
    writeFileSync(file, `${key.toString('base64')}\n`);
    const fromFile = SecretBox.fromEnv({ ENCRYPTION_KEY_FILE: file }, dir());
    expect(new Set([hex.keyId, b64.keyId, fromFile.keyId]).size).toBe(1);
    expect(() => SecretBox.fromEnv({ ENCRYPTION_KEY: 'too-short' }, dir())).toThrow(
      /ENCRYPTION_KEY must be 32 bytes .*openssl rand -base64 32/,
    );
    expect(() => SecretBox.fromEnv({ ENCRYPTION_KEY_FILE: '/nonexistent/key' }, dir())).toThrow(
      'ENCRYPTION_KEY_FILE names /nonexistent/key, which does not exist',
    );
  });

  it('without a configured key, makes one in the data folder readable by its owner only, and keeps it', () => {
    const data = dir();
    const first = SecretBox.fromEnv({}, data);
    const file = join(data, 'encryption.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(SecretBox.fromEnv({}, data).keyId).toBe(first.keyId);
    expect(readFileSync(file, 'utf8').trim()).toHaveLength(44);
  });

  it('opens values sealed with the previous key during a rotation, and says which are not current', () => {
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const sealed = new SecretBox(oldKey).seal('signing secret');
    const rotating = SecretBox.fromEnv(
      { ENCRYPTION_KEY: newKey.toString('hex'), ENCRYPTION_KEY_PREVIOUS: oldKey.toString('hex') },
      dir(),
    );
    expect(rotating.open(sealed)).toBe('signing secret');
    expect(rotating.isCurrent(sealed)).toBe(false);
    expect(rotating.isCurrent(rotating.seal('x'))).toBe(true);
    expect(() => new SecretBox(newKey).open(sealed)).toThrow(/sealed with encryption key [0-9a-f]{12}/);
  });
});
