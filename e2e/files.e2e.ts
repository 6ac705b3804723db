import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JenkinsSim, type S3Sim, startJenkinsSim, startS3Sim } from '@opsfleet/cloudsim';
import { eventually } from '@opsfleet/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './peers.ts';
import { adminToken, type ServerProcess, startServerProcess } from './server-process.ts';

/**
 * Issue 17's proof with the real binaries: the server and the agent as processes, the S3 and
 * Jenkins simulators. A 200 MB heap dump written slowly is uploaded once after its quiet window,
 * in parts with CRC32C checksums the simulator verifies; the agent is killed with SIGKILL in the
 * middle of the upload, and the next agent continues it from the parts its spool recorded; the
 * object equals the file, and the Jenkins build runs once with the object's URL.
 */
const CLI = join(import.meta.dirname, '../packages/cli/bin/opsfleet.mjs');
const MiB = 1024 * 1024;
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const sha256File = (path: string) =>
  new Promise<string>((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });

describe('file pipeline with the real binaries', { timeout: 300_000 }, () => {
  it('uploads a 200 MB dump once, resumes it after kill -9 of the agent, and builds it once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsfleet-files-e2e-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const s3: S3Sim = await startS3Sim({ dir: join(dir, 's3'), credentials: { AKIDE2E: 'e2e-secret' } });
    cleanups.push(() => s3.close());
    const jenkins: JenkinsSim = await startJenkinsSim({
      users: [{ name: 'ci', apiTokens: ['ci-token'], password: 'pw' }],
      jobs: [{ name: 'analyse', parameters: [{ name: 'DUMP_URL' }], durationMs: 500, lines: ['analysing'] }],
      quietPeriodMs: 50,
    });
    cleanups.push(() => jenkins.close());
    const server: ServerProcess = startServerProcess({ dataDir: join(dir, 'server') }, await freePort(), {
      OUTBOUND_ALLOW: '127.0.0.1/32',
    });
    cleanups.push(() => server.stop());
    await server.ready();
    const token = await adminToken(server.url);
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      // biome-ignore lint/suspicious/noExplicitAny: the test reads JSON answers field by field
      const json = (await res.json()) as any;
      expect(res.status, `${method} ${path}: ${JSON.stringify(json)}`).toBeLessThan(300);
      return json;
    };
    const action = await api('POST', '/api/v1/files/actions', {
      name: 'analyse',
      kind: 'jenkins',
      config: {
        url: jenkins.url,
        job: 'analyse',
        user: 'ci',
        apiToken: 'ci-token',
        parameters: { DUMP_URL: '{url}' },
      },
    });
    await api('POST', '/api/v1/files/routes', {
      name: 'dumps',
      actionIds: [action.id],
      match: { pathGlob: '**/*.hprof' },
    });
    const { key } = await api('POST', '/api/v1/api-keys', { name: 'app-host', role: 'agent' });

    const sdk = await import('@aws-sdk/client-s3');
    const admin = new sdk.S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDE2E', secretAccessKey: 'e2e-secret' },
    });
    await admin.send(new sdk.CreateBucketCommand({ Bucket: 'dumps' }));
    admin.destroy();

    const watched = join(dir, 'watched');
    mkdirSync(watched);
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      `agent:
  name: app-host
  dataDir: ${dir}/agent
  grpc: { listen: "127.0.0.1:0" }
  http: { listen: "127.0.0.1:0" }
  server: { url: "${server.url}", token: "${key}" }
services: []
files:
  bytesPerSecond: 25MiB
  destinations:
    dumps:
      endpoint: ${s3.endpoint}
      bucket: dumps
      pathStyle: true
      key: "{host}/{path}"
      partSize: 8MiB
      checksum: CRC32C
  sources:
    - name: jvm
      path: ${watched}
      include: ["*.hprof"]
      quiet: 2s
      destination: dumps
`,
    );
    let agent: ChildProcess | undefined;
    const startAgent = () => {
      agent = spawn(process.execPath, [CLI, 'agent', 'run', config], {
        detached: true,
        stdio: ['ignore', 'ignore', 'inherit'],
        env: {
          ...process.env,
          LOG_LEVEL: 'warn',
          AWS_ACCESS_KEY_ID: 'AKIDE2E',
          AWS_SECRET_ACCESS_KEY: 'e2e-secret',
        },
      });
    };
    const killAgent = async (signal: NodeJS.Signals) => {
      const child = agent!;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, signal);
      await exited;
    };
    cleanups.push(() => killAgent('SIGTERM'));
    startAgent();

    // 200 MB written in 1 MiB pieces with pauses shorter than the quiet window.
    const dump = join(watched, 'java_pid4242.hprof');
    const fd = openSync(dump, 'w');
    const piece = Buffer.alloc(MiB);
    for (let i = 0; i < 200; i++) {
      piece.fill(i % 251);
      piece.writeUInt32LE(i, 0);
      writeSync(fd, piece);
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 150));
    }
    closeSync(fd);
    const expected = await sha256File(dump);
    const parts = () => s3.calls.filter((c) => c.operation === 'UploadPart' && c.status === 200).length;
    // No part before the writing stopped: the file is taken only once it is complete.
    expect(s3.calls.filter((c) => c.operation === 'CreateMultipartUpload')).toHaveLength(0);

    await eventually('a few parts uploaded', () => parts() >= 6, { timeoutMs: 90_000, everyMs: 50 });
    await killAgent('SIGKILL');
    const before = parts();
    expect(before).toBeLessThan(25);
    expect(s3.openUploads()).toHaveLength(1);
    startAgent();

    const objectKey = 'app-host/java_pid4242.hprof';
    await eventually(
      'the object complete',
      () => s3.calls.some((c) => c.operation === 'CompleteMultipartUpload' && c.status === 200),
      {
        timeoutMs: 120_000,
        everyMs: 200,
      },
    );
    const stored = await s3.objectBytes('dumps', objectKey);
    expect(stored?.length).toBe(200 * MiB);
    expect(createHash('sha256').update(stored!).digest('hex')).toBe(expected);
    // The second agent sent only what the first had not recorded (a part in flight may go twice).
    expect(parts()).toBeLessThanOrEqual(25 + 2);
    expect(s3.calls.filter((c) => c.operation === 'CreateMultipartUpload')).toHaveLength(1);
    expect(s3.openUploads()).toEqual([]);

    const file = await eventually(
      'the file uploaded at the server and its build done',
      async () => {
        const list = await api('GET', '/api/v1/files?state=uploaded');
        if (list.items.length !== 1) return undefined;
        const detail = await api('GET', `/api/v1/files/${list.items[0].id}`);
        return detail.tasks[0]?.state === 'done' ? detail : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(file.object.url).toBe(`${s3.endpoint}/dumps/${objectKey}`);
    expect(file.object.checksum).toMatch(/^CRC32C/);
    await new Promise((r) => setTimeout(r, 3000));
    expect(jenkins.triggers.map((t) => t.params.DUMP_URL)).toEqual([file.object.url]);
    expect(server.errors()).toEqual([]);
  });
});
