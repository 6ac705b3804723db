import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CREDENTIALS, type S3Sim, startS3Sim } from '../src/s3/server.ts';

const [accessKeyId, secretAccessKey] = Object.entries(DEFAULT_CREDENTIALS)[0]!;

describe('S3 simulator over TLS', () => {
  let sim: S3Sim;
  let cert: Buffer;
  const dir = mkdtempSync(join(tmpdir(), 's3sim-tls-'));
  const client = (agent: Agent) =>
    new S3Client({
      endpoint: sim.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
    });

  beforeAll(async () => {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=s3sim']
        .concat(['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'])
        .concat(['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]),
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'));
    sim = await startS3Sim({ tls: { key: readFileSync(join(dir, 'key.pem')), cert } });
  });
  afterAll(async () => {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS to a client trusting its CA and is refused by one that does not', async () => {
    expect(sim.endpoint).toMatch(/^https:/);
    const trusting = client(new Agent({ ca: cert }));
    await trusting.send(new CreateBucketCommand({ Bucket: 'tls' }));
    await trusting.send(new PutObjectCommand({ Bucket: 'tls', Key: 'k', Body: 'over tls' }));
    const got = await trusting.send(new GetObjectCommand({ Bucket: 'tls', Key: 'k' }));
    expect(await got.Body!.transformToString()).toBe('over tls');
    const err = await client(new Agent())
      .send(new GetObjectCommand({ Bucket: 'tls', Key: 'k' }))
      .catch((e) => e);
    expect(err.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });
});
