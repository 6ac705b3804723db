import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startJenkinsSim, startS3Sim } from '@opsfleet/cloudsim';
import { call } from './demo-notify.ts';

/**
 * The demo's file pipeline (docs/files.md): demo-host watches `<demo>/incoming` for heap dumps
 * and uploads them to the S3 simulator; the server's routing rule sends each uploaded dump to a
 * Jenkins job (simulator) with the object's URL. One sample dump is dropped in once the agent
 * runs, so the console's Files pages have a file, its upload and its build within seconds.
 */
const ACCESS_KEY = 'AKIDDEMOFILES';
const SECRET_KEY = 'demo-files-secret';
const BUCKET = 'demo-heap-dumps';
const ACTION = 'demo: analyse heap dump';
const ROUTE = 'demo: heap dumps';

export interface DemoFiles {
  /** agent.yaml's `files:` section. */
  yaml: string;
  incoming: string;
  s3: string;
  jenkins: string;
  close(): Promise<void>;
}

export async function startDemoFiles(dir: string): Promise<DemoFiles> {
  const incoming = join(dir, 'incoming');
  mkdirSync(join(incoming, 'payments'), { recursive: true });
  const s3 = await startS3Sim({ dir: join(dir, 's3'), credentials: { [ACCESS_KEY]: SECRET_KEY } });
  const jenkins = await startJenkinsSim({
    users: [{ name: 'demo', apiTokens: ['demo-jenkins-token'], password: 'demo' }],
    jobs: [
      {
        name: 'analyse-heap-dump',
        parameters: [{ name: 'DUMP_URL' }, { name: 'HOST' }],
        durationMs: 3000,
        lines: ['fetching the dump', 'running the analyser', 'leak suspects: 1'],
      },
    ],
  });
  const sdk = await import('@aws-sdk/client-s3');
  const client = new sdk.S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  });
  await client.send(new sdk.CreateBucketCommand({ Bucket: BUCKET })).catch((err: { name?: string }) => {
    if (err.name !== 'BucketAlreadyOwnedByYou') throw err;
  });
  client.destroy();
  const credentials = join(dir, 's3-credentials');
  writeFileSync(
    credentials,
    `[default]\naws_access_key_id = ${ACCESS_KEY}\naws_secret_access_key = ${SECRET_KEY}\n`,
    {
      mode: 0o600,
    },
  );
  const yaml = `files:
  destinations:
    dumps:
      endpoint: ${s3.endpoint}
      bucket: ${BUCKET}
      pathStyle: true
      key: "{host}/{source}/{date}/{path}"
      credentials: { from: file, file: ${credentials} }
  sources:
    - name: heap-dumps
      path: ${incoming}
      include: ["**/*.hprof", "**/*.hprof.gz"]
      quiet: 3s
      destination: dumps
      routes:
        - subdir: payments
          labels: { team: payments }
`;
  return {
    yaml,
    incoming,
    s3: s3.endpoint,
    jenkins: jenkins.url,
    close: async () => {
      await jenkins.close();
      await s3.close();
    },
  };
}

/** The Jenkins action and the routing rule that uses it, made (or pointed at this run's Jenkins) through the API. */
export async function demoFileRoute(base: string, token: string, files: DemoFiles): Promise<void> {
  const config = {
    url: files.jenkins,
    job: 'analyse-heap-dump',
    user: 'demo',
    apiToken: 'demo-jenkins-token',
    parameters: { DUMP_URL: '{url}', HOST: '{agent}' },
  };
  const actions = (await call(base, token, 'GET', '/api/v1/files/actions')) as { id: string; name: string }[];
  const known = actions.find((a) => a.name === ACTION);
  const action = (
    known
      ? await call(base, token, 'PATCH', `/api/v1/files/actions/${known.id}`, { config })
      : await call(base, token, 'POST', '/api/v1/files/actions', { name: ACTION, kind: 'jenkins', config })
  ) as { id: string };
  const routes = (await call(base, token, 'GET', '/api/v1/files/routes')) as { name: string }[];
  if (!routes.some((r) => r.name === ROUTE))
    await call(base, token, 'POST', '/api/v1/files/routes', {
      name: ROUTE,
      actionIds: [action.id],
      match: { pathGlob: '**/*.hprof*' },
    });
}

/** A sample dump (2 MiB) under payments/, written as a JVM would: in pieces, then left alone. */
export async function dropSampleDump(files: DemoFiles): Promise<string> {
  const name = `java_pid${process.pid}.hprof`;
  const path = join(files.incoming, 'payments', name);
  const piece = Buffer.alloc(256 * 1024, 0x4a);
  writeFileSync(path, 'JAVA PROFILE 1.0.2\n');
  for (let i = 0; i < 8; i++) {
    writeFileSync(path, piece, { flag: 'a' });
    await new Promise((r) => setTimeout(r, 100));
  }
  return path;
}
