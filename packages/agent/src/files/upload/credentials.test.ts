import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCredentialsFile, resolveCredentials } from './credentials.ts';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('AWS shared-credentials file', () => {
  it('reads profiles, the config file’s [profile x] form, comments, spaces and = in values', () => {
    const parsed = parseCredentialsFile(
      [
        '# comment',
        '[default]',
        'aws_access_key_id = AKIDDEFAULT',
        `aws_secret_access_key=${SECRET}`,
        '; another comment',
        '[profile uploads]',
        'AWS_ACCESS_KEY_ID = AKIDUP',
        'aws_secret_access_key = a=b==',
        's3 =',
        '  max_concurrent_requests = 20',
        'aws_session_token = tok',
      ].join('\r\n'),
    );
    expect(Object.fromEntries(parsed.get('default')!)).toEqual({
      aws_access_key_id: 'AKIDDEFAULT',
      aws_secret_access_key: SECRET,
    });
    expect(Object.fromEntries(parsed.get('uploads')!)).toEqual({
      aws_access_key_id: 'AKIDUP',
      aws_secret_access_key: 'a=b==',
      s3: '',
      aws_session_token: 'tok',
    });
  });
});

describe('resolving credentials', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsfleet-creds-'));
  const file = join(dir, 'credentials');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the environment’s key, secret and session token', async () => {
    const c = await resolveCredentials(
      { from: 'env' },
      { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: 'tok' },
    );
    expect(c).toMatchObject({ accessKeyId: 'AKID', secretAccessKey: SECRET, sessionToken: 'tok' });
  });

  it.each([
    [{}, 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set'],
    [{ AWS_ACCESS_KEY_ID: 'AKID' }, 'AWS_SECRET_ACCESS_KEY not set'],
  ])('refuses an environment %j', async (env, message) => {
    await expect(resolveCredentials({ from: 'env' }, env)).rejects.toMatchObject({
      code: 'Credentials',
      retryable: false,
      message: expect.stringContaining(message),
    });
  });

  it.each([
    ['no such file', undefined, 'default', 'cannot read it (ENOENT)'],
    ['no such profile', '[other]\naws_access_key_id=A\n', 'default', 'profile [default]: no such profile'],
    ['no secret', `[default]\naws_access_key_id=AKID\n`, 'default', 'aws_secret_access_key is missing'],
    ['no key id', `[p]\naws_secret_access_key=${SECRET}\n`, 'p', 'aws_access_key_id is missing'],
  ])(
    'a file with %s is refused, naming the file and the field, never the secret',
    async (_, text, profile, message) => {
      rmSync(file, { force: true });
      if (text !== undefined) writeFileSync(file, text);
      const err = await resolveCredentials({ from: 'file', file, profile }).catch((e) => e);
      expect(err).toMatchObject({ code: 'Credentials', retryable: false });
      expect(err.message).toContain(file);
      expect(err.message).toContain(message);
      expect(err.message).not.toContain(SECRET);
    },
  );

  it('reads the file again at every call, so a rotated key is picked up', async () => {
    writeFileSync(file, `[default]\naws_access_key_id=OLD\naws_secret_access_key=${SECRET}\n`);
    expect((await resolveCredentials({ from: 'file', file, profile: 'default' })).accessKeyId).toBe('OLD');
    writeFileSync(file, `[default]\naws_access_key_id=NEW\naws_secret_access_key=${SECRET}\n`);
    expect((await resolveCredentials({ from: 'file', file, profile: 'default' })).accessKeyId).toBe('NEW');
  });
});
