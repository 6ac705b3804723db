import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startReceiver } from '@opsfleet/server';
import { call } from './demo-notify.ts';

/**
 * Demo history, so that every console page has something in it on the first `npm start`: a week
 * of alerts in every state (resolved episodes with their times, a flapping alert, one
 * acknowledged, one silenced), a silence, a template set, and a dead letter from a webhook whose
 * receiver rotated its secret. Everything goes through the public API, as a user would send it.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// The history is written again once a day, so the overview's 24 h and 7 d charts stay populated.
const RESEED_AFTER_MS = DAY;

interface Episode {
  name: string;
  severity: 'critical' | 'warning' | 'info';
  labels: Record<string, string>;
  summary: string;
  /** How long ago it started. */
  agoMs: number;
  /** How long it lasted; absent: still firing. */
  forMs?: number;
}

const EPISODES: Episode[] = [
  ...[6 * DAY, 3 * DAY + 5 * HOUR].map((agoMs, i) => ({
    name: 'HighCPU',
    severity: 'warning' as const,
    labels: { host: 'demo-host', service: 'demo-web' },
    summary: 'CPU above 90 % for 10 minutes on demo-host',
    agoMs,
    forMs: (i + 1) * 20 * 60_000,
  })),
  {
    name: 'HighCPU',
    severity: 'warning',
    labels: { host: 'demo-host', service: 'demo-web' },
    summary: 'CPU above 90 % for 10 minutes on demo-host',
    agoMs: 2 * HOUR,
  },
  // A flapping alert: short episodes over the week, and firing now.
  ...[5 * DAY, 4 * DAY + 2 * HOUR, DAY + 3 * HOUR, 9 * HOUR].map((agoMs, i) => ({
    name: 'APIErrorRate',
    severity: 'critical' as const,
    labels: { service: 'checkout', team: 'payments' },
    summary: '5xx above 2 % of checkout requests',
    agoMs,
    forMs: (3 + i * 4) * 60_000,
  })),
  {
    name: 'APIErrorRate',
    severity: 'critical',
    labels: { service: 'checkout', team: 'payments' },
    summary: '5xx above 2 % of checkout requests',
    agoMs: 15 * 60_000,
  },
  {
    name: 'ReplicationLag',
    severity: 'warning',
    labels: { instance: 'db-2', team: 'db' },
    summary: 'replica db-2 is 45 s behind its primary',
    agoMs: 12 * HOUR,
    forMs: 50 * 60_000,
  },
  {
    name: 'DiskSpaceLow',
    severity: 'critical',
    labels: { instance: 'db-1', mountpoint: '/var/lib/postgresql', team: 'db' },
    summary: '/var/lib/postgresql on db-1 is 93 % full',
    agoMs: 30 * 60_000,
  },
  {
    name: 'CertificateExpiry',
    severity: 'info',
    labels: { domain: 'shop.example.com', team: 'web' },
    summary: 'the certificate of shop.example.com expires in 12 days',
    agoMs: DAY,
  },
  {
    name: 'LegacyBatchFailed',
    severity: 'warning',
    labels: { job: 'nightly-export', team: 'legacy' },
    summary: 'the nightly export exited 1',
    agoMs: 40 * 60_000,
  },
];

function webhookOf(e: Episode, now: number) {
  const startsAt = new Date(now - e.agoMs).toISOString();
  const ended = e.forMs !== undefined;
  return {
    version: '4',
    status: ended ? 'resolved' : 'firing',
    alerts: [
      {
        status: ended ? 'resolved' : 'firing',
        labels: { alertname: e.name, severity: e.severity, ...e.labels },
        annotations: { summary: e.summary },
        startsAt,
        // A firing alert's endsAt is when its sender would consider it gone without news.
        endsAt: new Date(ended ? now - e.agoMs + e.forMs! : now + 6 * HOUR).toISOString(),
        generatorURL: `http://prometheus.demo:9090/graph?g0.expr=${encodeURIComponent(e.name)}`,
        fingerprint: '',
      },
    ],
  };
}

async function fingerprintOf(base: string, token: string, name: string): Promise<string | undefined> {
  const found = (await call(base, token, 'GET', `/api/v1/alerts?text=${name}`)) as {
    items: { fingerprint: string; name: string }[];
  };
  return found.items.find((a) => a.name === name)?.fingerprint;
}

async function ensureNamed<T extends { id: string; name: string }>(
  base: string,
  token: string,
  path: string,
  body: { name: string } & Record<string, unknown>,
): Promise<T> {
  const existing = ((await call(base, token, 'GET', path)) as T[]).find((x) => x.name === body.name);
  if (existing) return existing;
  return (await call(base, token, 'POST', path, body)) as T;
}

/** Posts the week of alerts (oldest first) and the actions people took on them. */
async function seedAlerts(base: string, token: string): Promise<void> {
  const now = Date.now();
  for (const e of [...EPISODES].sort((a, b) => b.agoMs - a.agoMs))
    await call(base, token, 'POST', '/api/v1/webhooks/alertmanager', webhookOf(e, now));
  const cpu = await fingerprintOf(base, token, 'HighCPU');
  if (cpu)
    await call(base, token, 'POST', `/api/v1/alerts/${cpu}/acknowledge`, {
      note: 'demo: looking into it, a deploy is compiling assets',
    });
}

export async function demoData(opts: {
  base: string;
  token: string;
  dir: string;
}): Promise<{ close(): Promise<void> }> {
  const { base, token } = opts;
  // The legacy receiver rotated its secret and the channel still signs with the old one: every
  // delivery is refused with 401, which no retry can fix, so it lands in the dead letters.
  const legacy = await startReceiver({ secret: 'rotated-on-the-receiver' });
  const channels = (await call(base, token, 'GET', '/api/v1/notify/channels')) as {
    id: string;
    name: string;
  }[];
  const old = channels.find((c) => c.name === 'demo-legacy-webhook');
  const channel = (
    old
      ? await call(base, token, 'PATCH', `/api/v1/notify/channels/${old.id}`, {
          config: { url: legacy.url, secret: 'the-old-secret' },
        })
      : await call(base, token, 'POST', '/api/v1/notify/channels', {
          name: 'demo-legacy-webhook',
          kind: 'webhook',
          config: { url: legacy.url, secret: 'the-old-secret' },
        })
  ) as { id: string };
  const template = await ensureNamed<{ id: string; name: string }>(base, token, '/api/v1/notify/templates', {
    name: 'demo: one-line chat message',
    templates: {
      firing: {
        title: '{{ groupName }}: {{ firingCount }} firing',
        body: '{% for alert in alerts %}{{ alert.severity | upcase }} {{ alert.name }}: {{ alert.summary }}\n{% endfor %}',
      },
    },
  });
  await ensureNamed(base, token, '/api/v1/notify/rules', {
    name: 'demo: legacy team',
    matchers: ['team="legacy"'],
    groupBy: ['alertname'],
    groupWaitSeconds: 0,
    groupIntervalSeconds: 60,
    steps: [{ afterMinutes: 0, channelIds: [channel.id] }],
    templateId: template.id,
  });
  const active = (await call(base, token, 'GET', '/api/v1/silences?state=active')) as { comment: string }[];
  const comment = 'demo: db-1 disk is being resized';
  if (!active.some((s) => s.comment === comment))
    await call(base, token, 'POST', '/api/v1/silences', {
      matchers: ['alertname="DiskSpaceLow"', 'instance="db-1"'],
      endsAt: new Date(Date.now() + 4 * HOUR).toISOString(),
      comment,
    });
  const marker = join(opts.dir, 'history-seeded-at');
  const seededAt = existsSync(marker) ? Number(readFileSync(marker, 'utf8')) : 0;
  if (!(Date.now() - seededAt < RESEED_AFTER_MS)) {
    await seedAlerts(base, token);
    writeFileSync(marker, String(Date.now()));
  }
  return legacy;
}
