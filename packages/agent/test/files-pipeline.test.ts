import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JenkinsSim, type S3Sim, startJenkinsSim, startS3Sim } from '@opsfleet/cloudsim';
import { silentLogger } from '@opsfleet/core';
import { eventually } from '@opsfleet/core/testing';
import { createServer, openDatabase, type Server } from '@opsfleet/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../src/agent.ts';

/**
 * The file pipeline end to end in one process: the real agent watches a folder and uploads to
 * the S3 simulator, reports to the real server (PGlite), whose routing rule runs a Jenkins
 * build (simulator) with the object's URL.
 */
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

let dir: string;
let s3: S3Sim;
let jenkins: JenkinsSim;
let server: Server;
let url: string;
let admin: string;

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the test reads JSON answers field by field
  const json = (await res.json()) as any;
  expect(res.status, JSON.stringify(json)).toBeLessThan(300);
  return json;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opsfleet-files-'));
  s3 = await startS3Sim({ credentials: { AKIDFILES: 'files-secret' } });
  cleanups.push(() => s3.close());
  jenkins = await startJenkinsSim({
    users: [{ name: 'ci', apiTokens: ['ci-token'], password: 'pw' }],
    jobs: [{ name: 'analyse', parameters: [{ name: 'DUMP_URL' }], durationMs: 200, lines: ['analysing'] }],
    quietPeriodMs: 50,
  });
  cleanups.push(() => jenkins.close());
  server = await createServer({
    database: await openDatabase({ dataDir: join(dir, 'server') }),
    log: silentLogger(),
    adminPassword: 'admin-password-1',
    housekeepingMs: 0,
    outboundAllow: ['127.0.0.1/32'],
  });
  cleanups.push(() => server.close());
  url = (await server.listen(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');
  admin = (await server.identity.createApiKey('admin', 'test-admin', 'admin')).key;
  const action = await api('POST', '/api/v1/files/actions', {
    name: 'analyse-dump',
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
    name: 'heap dumps',
    actionIds: [action.id],
    match: { pathGlob: '**/*.hprof' },
  });
}, 60_000);

function agentYaml(key: string, quiet = '1s') {
  writeFileSync(
    join(dir, 'creds'),
    '[default]\naws_access_key_id = AKIDFILES\naws_secret_access_key = files-secret\n',
  );
  return `agent:
  name: app-7
  dataDir: ${dir}/agent
  grpc: { listen: "127.0.0.1:0" }
  http: { listen: "127.0.0.1:0" }
  server: { url: "${url}", token: "${key}", heartbeat: 1s }
services: []
files:
  destinations:
    dumps:
      endpoint: ${s3.endpoint}
      bucket: heap-dumps
      pathStyle: true
      key: "{host}/{source}/{path}"
      partSize: 5MiB
      credentials: { from: file, file: ${dir}/creds }
  sources:
    - name: heap
      path: ${dir}/watched
      include: ['**/*.hprof']
      quiet: ${quiet}
      rescan: 2s
      destination: dumps
`;
}

describe('file pipeline: agent → S3 → server → Jenkins', { timeout: 120_000 }, () => {
  it('uploads a file written slowly once, after it stopped growing, and the server builds it once', async () => {
    mkdirSync(join(dir, 'watched/app'), { recursive: true });
    const { key } = await server.identity.createApiKey('admin', 'app-7', 'agent');
    writeFileSync(join(dir, 'agent.yaml'), agentYaml(key));
    const bucket = await import('@aws-sdk/client-s3');
    const client = new bucket.S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDFILES', secretAccessKey: 'files-secret' },
    });
    await client.send(new bucket.CreateBucketCommand({ Bucket: 'heap-dumps' }));
    client.destroy();

    let agent = await Agent.start({ configPath: join(dir, 'agent.yaml'), log: silentLogger() });
    cleanups.push(() => agent.close(false));
    const dump = join(dir, 'watched/app/java_pid42.hprof');
    // 12 MiB in 24 writes over ~2.4 s, a quiet window of 1 s: a pause shorter than it.
    const chunk = Buffer.alloc(512 * 1024, 7);
    writeFileSync(dump, '');
    for (let i = 0; i < 24; i++) {
      chunk.writeUInt32LE(i, 0);
      appendFileSync(dump, chunk);
      await new Promise((r) => setTimeout(r, 100));
    }
    writeFileSync(join(dir, 'watched/app/notes.txt'), 'not a dump');
    const objectKey = 'app-7/heap/app/java_pid42.hprof';
    await eventually('the object in S3', () => s3.objectBytes('heap-dumps', objectKey), {
      timeoutMs: 60_000,
    });
    expect((await s3.objectBytes('heap-dumps', objectKey))!.equals(readFileSync(dump))).toBe(true);
    // Uploaded in parts, once, and nothing else.
    const puts = () => s3.calls.filter((c) => ['PutObject', 'CreateMultipartUpload'].includes(c.operation));
    expect(puts().map((c) => c.key)).toEqual([objectKey]);
    expect(s3.calls.filter((c) => c.operation === 'UploadPart').length).toBe(3);

    // The server heard of it and ran the route's Jenkins build with the object's URL.
    const file = await eventually(
      'the file uploaded at the server with its Jenkins task done',
      async () => {
        const list = await api('GET', '/api/v1/files?state=uploaded');
        expect(list.items).toHaveLength(1);
        const detail = await api('GET', `/api/v1/files/${list.items[0].id}`);
        expect(detail.tasks.map((t: { state: string }) => t.state)).toEqual(['done']);
        return detail;
      },
      { timeoutMs: 60_000 },
    );
    expect(file).toMatchObject({ path: 'app/java_pid42.hprof', size: 12 * 1024 * 1024, agentName: 'app-7' });
    expect(file.object.url).toBe(`${s3.endpoint}/heap-dumps/${objectKey}`);
    expect(file.timeline.items.map((t: { state: string }) => t.state)).toContain('uploaded');
    expect(jenkins.triggers.map((t) => t.params.DUMP_URL)).toEqual([file.object.url]);

    // A restart on the same spool takes nothing again.
    await agent.close(false);
    agent = await Agent.start({ configPath: join(dir, 'agent.yaml'), log: silentLogger() });
    await new Promise((r) => setTimeout(r, 4000));
    expect(puts()).toHaveLength(1);
    expect(jenkins.triggers).toHaveLength(1);
  });
});
