import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { DEMO_ACCOUNTS, demoWorld, startCloudsim } from '@opsfleet/cloudsim';
import { aliyunHandler } from '@opsfleet/cloudsim/aliyun/index.ts';
import { awsHandler } from '@opsfleet/cloudsim/aws/index.ts';
import { huaweiHandler } from '@opsfleet/cloudsim/huawei/index.ts';
import { tencentHandler } from '@opsfleet/cloudsim/tencent/index.ts';
import { createLogger, onShutdown } from '@opsfleet/core';
import { parseAllowList } from '@opsfleet/server';
import { demoAgent, demoPing } from './demo-agent.ts';
import { demoData } from './demo-data.ts';
import { demoFileRoute, dropSampleDump, startDemoFiles } from './demo-files.ts';
import { adminToken, demoNotifications } from './demo-notify.ts';
import { DEMO_PROJECT, DEMO_VERSION, demoRelease, stopDemoApp } from './demo-release.ts';
import { demoConfigSyncYaml, demoRules, startDemoPrometheus } from './demo-rules.ts';
import { loadConfigOrReport, startExporter } from './exporter.ts';
import { startServer } from './server.ts';

/** A free port near `preferred`, so the demo starts even when 9101 is taken. */
async function freePort(preferred: number): Promise<number> {
  for (const port of [preferred, 0]) {
    const got = await new Promise<number | undefined>((done) => {
      const srv = createServer();
      srv.once('error', () => done(undefined));
      srv.listen(port, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => done(p));
      });
    });
    if (got) return got;
  }
  throw new Error('no free TCP port');
}

function accountsYaml(endpoints: Record<string, string | undefined>): string {
  const lines = [
    '# Written by `opsfleet demo`: simulated accounts served by cloudsim on this machine.',
    '# `endpoint` is an opsfleet extension that sends every API call of the account there.',
    'accounts:',
  ];
  for (const cloud of ['aliyun', 'tencent', 'huawei', 'aws'] as const) {
    lines.push(`  ${cloud}:`);
    for (const a of DEMO_ACCOUNTS.filter((x) => x.cloud === cloud)) {
      lines.push(
        `    - account_id: ${a.accountId}`,
        `      access_key_id: ${a.accessKeyId}`,
        `      access_key_secret: \${DEMO_${a.accountId.replace(/-/g, '_').toUpperCase()}_SECRET:-${a.accessKeySecret}}`,
        `      regions: [${a.regions.map((r) => JSON.stringify(r)).join(', ')}]`,
        `      resources: ${a.cloud === 'aws' ? '[s3, alb, nlb, clb]' : '[]'}`,
        `      endpoint: ${endpoints[cloud]}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

const SERVER_YAML = `# Written by \`opsfleet demo\`: the public exporter's server.yaml keys with demo values.
server:
  port: \${EXPORTER_PORT:-9101}
  page_size: 1000
  scrape_interval: \${SCRAPE_INTERVAL:-30s}
  discovery_ttl: 5m
  log:
    level: \${LOG_LEVEL:-info}
    format: \${LOG_FORMAT:-console}
estimation:
  clb:
    aliyun_bandwidth_cap_bps: 100000000
`;

/**
 * `npm start`: cloudsim with demo accounts on Aliyun, Tencent, Huawei and AWS, the exporter pointed at it,
 * the control plane server on an embedded database, one collection, then the URLs to look at.
 * Runs until Ctrl-C.
 */
export async function demo(_args: string[]): Promise<number> {
  const dir = resolve(process.env.OPSFLEET_DEMO_DIR ?? join('data', 'demo'));
  mkdirSync(dir, { recursive: true });
  const sim = await startCloudsim({
    world: demoWorld(),
    clouds: {
      aliyun: { handler: aliyunHandler },
      tencent: { handler: tencentHandler },
      huawei: { handler: huaweiHandler },
      aws: { handler: awsHandler },
    },
  });
  const port = await freePort(Number(process.env.EXPORTER_PORT ?? 9101));
  writeFileSync(join(dir, 'accounts.yaml'), accountsYaml(sim.endpoints));
  writeFileSync(join(dir, 'server.yaml'), SERVER_YAML);
  const env = {
    ...process.env,
    ACCOUNTS_PATH: join(dir, 'accounts.yaml'),
    SERVER_PATH: join(dir, 'server.yaml'),
    EXPORTER_PORT: String(port),
  };
  const config = loadConfigOrReport(env);
  if (!config) {
    await sim.close();
    return 2;
  }
  const exporter = await startExporter(config, env, '127.0.0.1');
  // The demo's admin password is fixed (or OPSFLEET_ADMIN_PASSWORD) so it can be printed on every run.
  const adminPassword = process.env.OPSFLEET_ADMIN_PASSWORD || 'opsfleet-demo';
  const server = await startServer(
    {
      dataDir: join(dir, 'server'),
      port: await freePort(Number(process.env.SERVER_PORT ?? 8080)),
      // The demo's webhook receiver listens on loopback, which a server refuses by default.
      outboundAllow: [...parseAllowList(process.env.OUTBOUND_ALLOW), '127.0.0.1/32'],
    },
    { ...env, LOG_FORMAT: process.env.LOG_FORMAT ?? 'console', OPSFLEET_ADMIN_PASSWORD: adminPassword },
    '127.0.0.1',
  );
  process.stdout.write(
    `\nopsfleet demo — simulated clouds: ${Object.entries(sim.endpoints)
      .map(([c, u]) => `${c} ${u}`)
      .join(', ')}\n`,
  );
  process.stdout.write(`config written to ${dir}/{server,accounts}.yaml\n`);
  const token = await adminToken(server.url, adminPassword);
  const receiver = await demoNotifications(server.url, token);
  await demoData({ base: server.url, token, dir });
  const prometheus = await startDemoPrometheus({
    dir,
    port: await freePort(Number(process.env.PROMETHEUS_PORT ?? 9090)),
    exporterUrl: exporter.url,
    serverUrl: server.url,
    adminToken: token,
  });
  if (typeof prometheus !== 'string') onShutdown(prometheus.close);
  // The app the demo deploys outlives the agent by design; it is stopped after the agent, so a
  // deploy that the agent's stop interrupts cannot start it behind this.
  onShutdown(() => stopDemoApp(join(dir, 'agent')));
  // Registered before the agent's stop, so the agent (newest first) stops before its S3 and Jenkins.
  const files = await startDemoFiles(dir);
  onShutdown(files.close);
  await demoFileRoute(server.url, token, files);
  const agent = await demoAgent({
    base: server.url,
    adminToken: token,
    dir,
    grpcPort: await freePort(Number(process.env.AGENT_GRPC_PORT ?? 7070)),
    httpPort: await freePort(Number(process.env.AGENT_HTTP_PORT ?? 9102)),
    webPort: await freePort(18090),
    ...(typeof prometheus === 'string' ? {} : { configSync: demoConfigSyncYaml(prometheus) }),
    files: files.yaml,
    log: createLogger({ level: process.env.LOG_LEVEL ?? 'warn', format: 'console', name: 'agent' }),
  });
  // The demo's services end with the demo.
  onShutdown(() => agent.close(false));
  const ping = await demoPing(server.url, token, 'demo-host');
  const dump = await dropSampleDump(files);
  const rules =
    typeof prometheus === 'string' ? prometheus : await demoRules(server.url, token, 'demo-host', prometheus);
  // Set up while the first collection runs, so the deploy does not hold the URLs back.
  const releasing = demoRelease({ base: server.url, token, dir, agentName: 'demo-host' });
  // Its failure is reported where it is awaited, not as an unhandled rejection meanwhile.
  releasing.catch(() => {});
  process.stdout.write('running the first collection…\n');
  await exporter.firstCollection();
  const release = await releasing;
  onShutdown(release.close);
  process.stdout.write(
    `\n  metrics     ${exporter.url}/metrics   (${exporter.seriesCount()} business series)\n` +
      `  status      ${exporter.url}/status\n` +
      `  discovery   ${exporter.url}/api/discovery/config\n` +
      `  api stats   ${exporter.url}/api/discovery/status\n` +
      `  health      ${exporter.url}/healthz\n\n` +
      `  console     ${server.url}/   (login admin / ${adminPassword})\n` +
      `  server API  ${server.url}/api/docs   (alert center; PGlite in ${dir}/server)\n` +
      `  alerts      ${server.url}/api/v1/alerts\n` +
      `  webhooks    ${server.url}/api/v1/webhooks/alertmanager, ${server.url}/api/v2/alerts (vmalert)\n` +
      `  agent       gRPC ${agent.grpcAddress}, metrics http://${agent.httpAddress}/metrics   (AGENT_CONFIG=${dir}/agent.yaml opsfleet agent status)\n` +
      `  agents      ${server.url}/agents   (demo-host: demo-web healthy, demo-worker crash-loops into an alert)\n` +
      `  commands    ${server.url}/api/v1/commands/${ping}   (a ping sent to demo-host over the command channel, and its answer)\n` +
      `  release     ${server.url}/api/v1/release/tasks/${release.taskId}   (${DEMO_PROJECT} ${DEMO_VERSION} deployed to demo-host with docs/templates/deploy-script.sh; on disk in ${dir}/agent/deploys/${DEMO_PROJECT})\n` +
      `  rules       ${rules}\n` +
      `  files       ${server.url}/files   (demo-host uploads the *.hprof files dropped in ${files.incoming}, like ${dump}, to the S3 simulator ${files.s3}, and the server has the Jenkins simulator ${files.jenkins} build each)\n` +
      `  notify      ${server.url}/notify/deliveries   (rule "demo: every alert" → local receiver ${receiver.url}; arrivals are printed here)\n` +
      `  history     ${server.url}/alerts   (a week of demo alerts: resolved, flapping, acknowledged, silenced; a dead letter in ${server.url}/notify/dead-letters)\n\nCtrl-C stops the demo.\n`,
  );
  return -1;
}
