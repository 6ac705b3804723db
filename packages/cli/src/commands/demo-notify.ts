import { startReceiver } from '@opsfleet/server';

/**
 * The demo's notification path: a local webhook receiver that prints what arrives, a channel
 * and a rule sending every alert to it, and one sample alert so the first notification shows up
 * within seconds of `npm start`. Set up through the public API, as a user would.
 */
const CHANNEL = 'demo-webhook';
const RULE = 'demo: every alert';

/** One call of the server's API as the admin; any answer but 2xx is an error naming the call. */
export async function call(base: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`demo setup: ${method} ${path} answered ${res.status}: ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
}

/** The admin's access token for setting the demo up through the API. */
export async function adminToken(base: string, adminPassword: string): Promise<string> {
  const login = (await (
    await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: adminPassword }),
    })
  ).json()) as { accessToken?: string };
  if (!login.accessToken)
    throw new Error('demo setup: could not log in as admin; was the admin password changed?');
  return login.accessToken;
}

export async function demoNotifications(
  base: string,
  token: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const receiver = await startReceiver({
    onNotification: (n) => {
      const alerts = Array.isArray(n.body.alerts) ? (n.body.alerts as { name?: unknown }[]) : [];
      process.stdout.write(
        `notification received (${String(n.body.event)}): ${alerts.map((a) => String(a?.name)).join(', ')}\n`,
      );
    },
  });
  const channels = (await call(base, token, 'GET', '/api/v1/notify/channels')) as {
    id: string;
    name: string;
  }[];
  const existing = channels.find((c) => c.name === CHANNEL);
  // The receiver's port changes between runs: point the channel at this run's.
  const channel = existing
    ? await call(base, token, 'PATCH', `/api/v1/notify/channels/${existing.id}`, {
        config: { url: receiver.url },
      })
    : await call(base, token, 'POST', '/api/v1/notify/channels', {
        name: CHANNEL,
        kind: 'webhook',
        config: { url: receiver.url },
      });
  const rules = (await call(base, token, 'GET', '/api/v1/notify/rules')) as { name: string }[];
  if (!rules.some((r) => r.name === RULE))
    await call(base, token, 'POST', '/api/v1/notify/rules', {
      name: RULE,
      groupBy: ['alertname'],
      groupWaitSeconds: 5,
      groupIntervalSeconds: 30,
      steps: [{ afterMinutes: 0, channelIds: [(channel as { id: string }).id] }],
    });
  // The previous run's alert may still be open: resolve it, so this run's one is news.
  const open = (await call(base, token, 'GET', '/api/v1/alerts?text=DemoNotification')) as {
    items: { fingerprint: string; name: string; state: string }[];
  };
  for (const a of open.items.filter(
    (x) => x.name === 'DemoNotification' && ['firing', 'acknowledged'].includes(x.state),
  ))
    await call(base, token, 'POST', `/api/v1/alerts/${a.fingerprint}/resolve`, { note: 'demo restarted' });
  const sample = {
    version: '4',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'DemoNotification', severity: 'info', instance: 'demo' },
        annotations: { summary: 'A sample alert from `npm start`, to show a notification arriving' },
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 10 * 60_000).toISOString(),
        generatorURL: `${base}/api/docs`,
        fingerprint: '',
      },
    ],
  };
  // Sent twice, as an HA pair of Alertmanagers would: the second changes nothing, so one
  // notification arrives.
  for (let i = 0; i < 2; i++) await call(base, token, 'POST', '/api/v1/webhooks/alertmanager', sample);
  return { url: receiver.url, close: receiver.close };
}
