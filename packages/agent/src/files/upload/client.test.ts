import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type S3Sim, startS3Sim } from '@opsfleet/cloudsim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpoolEntry } from '../model.ts';
import { S3DestinationSpec } from '../spec.ts';
import { objectUrl, S3Clients } from './client.ts';
import { UploadError } from './errors.ts';
import { uploadFile } from './multipart.ts';

describe('object URLs', () => {
  it.each([
    [{ endpoint: 'http://127.0.0.1:9000', pathStyle: true }, 'http://127.0.0.1:9000/logs/a/b%20c.txt'],
    [
      { endpoint: 'https://minio.example.com/', pathStyle: true },
      'https://minio.example.com/logs/a/b%20c.txt',
    ],
    [
      { endpoint: 'https://oss-cn-hangzhou.aliyuncs.com' },
      'https://logs.oss-cn-hangzhou.aliyuncs.com/a/b%20c.txt',
    ],
    [{ region: 'eu-west-1' }, 'https://logs.s3.eu-west-1.amazonaws.com/a/b%20c.txt'],
    [{ region: 'eu-west-1', pathStyle: true }, 'https://s3.eu-west-1.amazonaws.com/logs/a/b%20c.txt'],
  ])('%j → %s', (spec, url) => {
    expect(objectUrl(S3DestinationSpec.parse({ bucket: 'logs', ...spec }), 'logs', 'a/b c.txt')).toBe(url);
  });
});

describe('loading the SDK', () => {
  it('happens on the first upload, not when the uploader is imported', () => {
    const probe = join(import.meta.dirname, 'client.ts');
    // The SDK's CommonJS modules land in require.cache when loaded, even from ESM.
    const script = `
      import { createRequire } from 'node:module';
      const cache = createRequire(import.meta.url).cache;
      const loaded = () => Object.keys(cache).some((k) => k.includes('@aws-sdk/client-s3'));
      const client = await import(${JSON.stringify(probe)});
      await import(${JSON.stringify(join(import.meta.dirname, 'multipart.ts'))});
      const before = loaded();
      await client.loadSdk();
      console.log(JSON.stringify([before, loaded()]));`;
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(JSON.parse(out.stdout.trim())).toEqual([false, true]);
  });
});

describe('TLS to the endpoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsfleet-upload-tls-'));
  const credFile = join(dir, 'credentials');
  let sim: S3Sim;
  const file = join(dir, 'small.txt');

  beforeAll(async () => {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=s3sim']
        .concat(['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'])
        .concat(['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.pem')]),
      { stdio: 'ignore' },
    );
    sim = await startS3Sim({
      credentials: { AKIDTLS: 'tls-secret-value' },
      tls: { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'ca.pem')) },
    });
    writeFileSync(credFile, '[tls]\naws_access_key_id=AKIDTLS\naws_secret_access_key=tls-secret-value\n');
    writeFileSync(file, 'over TLS');
  });
  afterAll(async () => {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const upload = async (tls: object) => {
    const dest = S3DestinationSpec.parse({
      endpoint: sim.endpoint,
      bucket: 'tlsbucket',
      pathStyle: true,
      tls,
      attempts: 3,
      credentials: { from: 'file', file: credFile, profile: 'tls' },
    });
    const clients = new S3Clients();
    try {
      const { sdk, client } = await clients.get(dest);
      await client.send(new sdk.CreateBucketCommand({ Bucket: 'tlsbucket' })).catch(() => undefined);
      const st = statSync(file);
      const entry: SpoolEntry = {
        id: 'tls',
        source: 's',
        relPath: 'small.txt',
        size: st.size,
        mtimeMs: st.mtimeMs,
        destination: 'd',
        labels: {},
        state: 'uploading',
        attempts: 0,
        seq: 1,
        detectedAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
      };
      return await uploadFile({
        absPath: file,
        entry,
        dest,
        host: 'h',
        clients,
        onProgress: async () => undefined,
      });
    } finally {
      clients.close();
    }
  };

  it('trusts the endpoint through tls.ca', async () => {
    const object = await upload({ ca: join(dir, 'ca.pem') });
    expect(object.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/tlsbucket\//);
    expect((await sim.objectBytes('tlsbucket', object.key))?.toString()).toBe('over TLS');
  });

  it('refuses an endpoint it cannot verify, at once, saying to set tls.ca', async () => {
    const from = sim.calls.length;
    const err = await upload({}).catch((e) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect(err).toMatchObject({ code: 'TLS', retryable: false });
    expect(err.message).toContain('set tls.ca');
    expect(sim.calls.length).toBe(from);
  });

  it('with verify off, connects to any certificate', async () => {
    const object = await upload({ verify: false });
    expect((await sim.objectBytes('tlsbucket', object.key))?.toString()).toBe('over TLS');
  });

  it('names the CA file it cannot read', async () => {
    const err = await upload({ ca: join(dir, 'missing.pem') }).catch((e) => e);
    expect(err).toMatchObject({ code: 'TLS', retryable: false });
    expect(err.message).toContain('missing.pem');
  });
});
