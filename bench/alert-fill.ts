import { ALERTNAMES, CLUSTERS, SERVICES } from './alert-traffic.ts';

/**
 * Fills a freshly migrated opsfleet database with a large alert history straight in SQL, for
 * the query benchmark: posting a million alerts through the API would take longer than the
 * whole suite may. The shapes follow what a year of a busy installation leaves behind: about
 * three episodes (instances) per alert and a history entry per state change, nearly every alert
 * closed, a few percent open, the open ones recent.
 *
 * Only the columns the fill needs are named, so columns a later migration adds (nullable or
 * with a default) are left to their defaults. Secondary indexes, whatever migrations created
 * them, are dropped for the load and rebuilt from their own definitions afterwards, which is
 * several times faster than maintaining them row by row.
 */

export interface Sql {
  /** One or several statements, no parameters; the rows of the last one. */
  run<T = Record<string, unknown>>(text: string): Promise<T[]>;
}

export interface FillFigures {
  alerts: number;
  instances: number;
  history: number;
  open: number;
  seconds: number;
  /** Per step: name and seconds. */
  steps: [string, number][];
  /** Indexes dropped for the load and rebuilt. */
  rebuilt: string[];
  /** Optional instance columns the database had, and filled. */
  extraColumns: string[];
}

const TABLES = ['alerts', 'alert_instances', 'alert_history'];

/** More names than the live traffic uses, so a filter on one of them is as selective as in a real fleet. */
const NAMES = [
  ...ALERTNAMES.map((a) => [a.name, a.severity] as const),
  ['KubeNodeNotReady', 'critical'],
  ['KubeDeploymentReplicasMismatch', 'warning'],
  ['KubeJobFailed', 'warning'],
  ['PostgresReplicationLag', 'high'],
  ['PostgresTooManyConnections', 'warning'],
  ['RedisMemoryHigh', 'warning'],
  ['KafkaConsumerLag', 'high'],
  ['NodeFilesystemAlmostOutOfInodes', 'warning'],
  ['NodeNetworkReceiveErrs', 'info'],
  ['BlackboxProbeFailed', 'critical'],
  ['SSLHandshakeErrors', 'low'],
  ['QueueDepthHigh', 'warning'],
] as const;
const FILL_CLUSTERS = [
  ...CLUSTERS.map((c) => [c.name, c.env, c.region] as const),
  ['prod-us-2', 'prod', 'us-west-2'],
  ['prod-ap-2', 'prod', 'ap-northeast-1'],
  ['prod-sa-1', 'prod', 'sa-east-1'],
  ['staging-us-1', 'staging', 'us-east-1'],
  ['staging-ap-1', 'staging', 'ap-southeast-1'],
  ['dev-eu-1', 'dev', 'eu-central-1'],
] as const;
const FILL_SERVICES = [
  ...SERVICES,
  ...Array.from({ length: 36 }, (_, i) => `svc-${(i * 7919).toString(36)}`),
];
const TEAMS = ['storefront', 'money', 'platform', 'growth', 'data', 'identity', 'infra', 'sre'];

const array = (xs: readonly string[]) => `ARRAY[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(',')}]`;

/**
 * Instance columns that later migrations add, filled when the database has them (so the rows
 * look like the server's own), left alone when it does not.
 */
const OPTIONAL_INSTANCE_COLUMNS: Record<string, string> = {
  ended_by: `CASE WHEN st IN ('resolved', 'closed') THEN 'source' END`,
  generator_url: `'http://vmalert:8880/vmalert/alert?group_id=' || f.name_i || '&alert_id=' || f.g`,
  severity: `(${array(NAMES.map((x) => x[1]))})[1 + f.name_i]`,
};

/** The SQL of each step, for `n` alerts; `extra` are the optional instance columns present. */
function steps(n: number, extra: string[]): [string, string][] {
  const extraNames = extra.map((c) => `, ${c}`).join('');
  const extraValues = extra.map((c) => `, ${OPTIONAL_INSTANCE_COLUMNS[c]}`).join('');
  const pick = (xs: readonly string[], idx: string) => `(${array(xs)})[1 + ${idx}]`;
  return [
    [
      'alert shapes',
      // One row of random choices per alert, shared by the three inserts below. setseed makes
      // the data the same run after run.
      `SELECT setseed(0.42);
      CREATE TEMP TABLE fill AS
      SELECT g, substr(md5('fill' || g), 1, 16) AS fp,
        floor(random() * ${NAMES.length})::int AS name_i,
        floor(random() * ${FILL_CLUSTERS.length})::int AS cluster_i,
        floor(random() * ${FILL_SERVICES.length})::int AS service_i,
        1 + floor(random() * 5)::int AS k,
        CASE WHEN r < 0.015 THEN 'firing' WHEN r < 0.018 THEN 'acknowledged' WHEN r < 0.02 THEN 'silenced'
             WHEN r < 0.05 THEN 'resolved' ELSE 'closed' END AS state,
        CASE WHEN r < 0.02 THEN now() - random() * interval '1 hour'
             WHEN r < 0.05 THEN now() - random() * interval '20 hours'
             ELSE now() - interval '1 day' - random() * interval '89 days' END AS last_seen,
        interval '10 minutes' + random() * interval '6 hours' AS gap,
        CASE WHEN random() < 0.7 THEN 'vmalert' ELSE 'alertmanager' END AS source
      FROM (SELECT g, random() AS r FROM generate_series(1, ${n}) g) s;
      SELECT count(*) FROM fill`,
    ],
    [
      'alerts',
      `INSERT INTO alerts (fingerprint, name, labels, annotations, severity, source, state,
                           current_instance_id, first_seen, last_seen)
      SELECT fp, name, labels,
        jsonb_build_object(
          'summary', name || ' on ' || (labels->>'service') || ' (' || (labels->>'pod') || ') in ' || (labels->>'cluster'),
          'description', (labels->>'service') || ' in ' || (labels->>'cluster') || ': instance ' || (labels->>'instance') || ', team ' || (labels->>'team') || '.',
          'runbook_url', 'https://runbooks.example.com/' || lower(name)),
        severity, source, state, md5(fp || ':' || k)::uuid, last_seen - k * gap, last_seen
      FROM (
        SELECT f.*, ${pick(
          NAMES.map((x) => x[0]),
          'name_i',
        )} AS name, ${pick(
          NAMES.map((x) => x[1]),
          'name_i',
        )} AS severity,
          jsonb_build_object(
            'alertname', ${pick(
              NAMES.map((x) => x[0]),
              'name_i',
            )}, 'severity', ${pick(
              NAMES.map((x) => x[1]),
              'name_i',
            )},
            'cluster', ${pick(
              FILL_CLUSTERS.map((x) => x[0]),
              'cluster_i',
            )}, 'env', ${pick(
              FILL_CLUSTERS.map((x) => x[1]),
              'cluster_i',
            )},
            'region', ${pick(
              FILL_CLUSTERS.map((x) => x[2]),
              'cluster_i',
            )},
            'namespace', ${pick(FILL_SERVICES, 'service_i')} || '-' || ${pick(
              FILL_CLUSTERS.map((x) => x[1]),
              'cluster_i',
            )},
            'service', ${pick(FILL_SERVICES, 'service_i')}, 'team', ${pick(TEAMS, `service_i % ${TEAMS.length}`)},
            'job', ${pick(FILL_SERVICES, 'service_i')} || '-metrics',
            'instance', '10.' || (100 + g / 65536) || '.' || (g / 256 % 256) || '.' || (g % 256) || ':9100',
            'pod', ${pick(FILL_SERVICES, 'service_i')} || '-' || substr(fp, 1, 9) || '-' || substr(fp, 10, 5),
            'container', ${pick(FILL_SERVICES, 'service_i')}) AS labels
        FROM fill f) x`,
    ],
    [
      'instances',
      // Episode j of k: earlier ones resolved; the last one in the alert's state. Rows go in in
      // time order, as the server writes them, so an alert's episodes and history are spread
      // over the table rather than side by side.
      `INSERT INTO alert_instances (id, fingerprint, starts_at, ends_at, state, state_before_silence, last_seen,
                                    acknowledged_at, acknowledged_by, resolved_at, closed_at${extraNames})
      SELECT md5(fp || ':' || j)::uuid, fp, starts, ends, st,
        CASE WHEN st = 'silenced' THEN 'firing' END,
        CASE WHEN st IN ('resolved', 'closed') THEN ends ELSE f.last_seen END,
        CASE WHEN st = 'acknowledged' THEN starts + interval '4 minutes' END,
        CASE WHEN st = 'acknowledged' THEN 'alice' END,
        CASE WHEN st IN ('resolved', 'closed') THEN ends END,
        CASE WHEN st = 'closed' THEN least(ends + interval '1 day', now()) END${extraValues}
      FROM fill f, generate_series(1, f.k) j,
        LATERAL (SELECT CASE WHEN j < f.k THEN 'resolved' ELSE f.state END AS st,
                        f.last_seen - (f.k - j) * f.gap - f.gap * 0.4 AS starts) s,
        LATERAL (SELECT CASE WHEN st IN ('resolved', 'closed') THEN starts + f.gap * 0.4 END AS ends) e
      ORDER BY starts`,
    ],
    [
      'history',
      // Every change the instance's own timestamps imply, in the order they happened.
      `INSERT INTO alert_history (instance_id, fingerprint, at, event, from_state, to_state, actor)
      SELECT i.id, i.fingerprint, ev.at, ev.event, ev.from_state, ev.to_state, ev.actor
      FROM alert_instances i,
        LATERAL (VALUES
          (i.starts_at, 'fire', NULL, 'firing', 'apikey:vmalert', true),
          (i.acknowledged_at, 'acknowledge', 'firing', 'acknowledged', 'alice', i.acknowledged_at IS NOT NULL),
          (i.starts_at + interval '1 second', 'silence', 'firing', 'silenced', 'system', i.state = 'silenced'),
          (i.resolved_at, 'source_resolve', 'firing', 'resolved', 'apikey:vmalert', i.resolved_at IS NOT NULL),
          (i.closed_at, 'close', 'resolved', 'closed', 'system', i.closed_at IS NOT NULL)
        ) AS ev(at, event, from_state, to_state, actor, happened)
      WHERE ev.happened
      ORDER BY i.starts_at, ev.at`,
    ],
  ];
}

/**
 * Loads `n` alerts into a migrated, empty database. Triggers (the notification inbox) and
 * foreign-key checks are off for the session: the history is old and nobody is to be notified of it.
 */
export async function fillAlerts(db: Sql, n: number, log: (s: string) => void): Promise<FillFigures> {
  const t0 = performance.now();
  const timings: [string, number][] = [];
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    const out = await f();
    timings.push([name, (performance.now() - s) / 1000]);
    log(` ${name} ${((performance.now() - s) / 1000).toFixed(1)} s;`);
    return out;
  };
  const list = TABLES.map((t) => `'${t}'`).join(',');
  const indexes = await db.run<{ name: string; def: string }>(`
    SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
    WHERE i.schemaname = current_schema() AND i.tablename IN (${list})
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
    ORDER BY i.indexname`);
  const counts = await db.run<{ n: number }>(
    `SELECT (SELECT count(*) FROM alerts)::int + (SELECT count(*) FROM alert_instances)::int AS n`,
  );
  if (counts[0]?.n) throw new Error('the alert tables are not empty: the fill expects a fresh database');
  const columns = await db.run<{ name: string }>(`
    SELECT column_name AS name FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = 'alert_instances'`);
  const extra = columns.map((c) => c.name).filter((c) => c in OPTIONAL_INSTANCE_COLUMNS);
  await db.run(`SET session_replication_role = replica; SET maintenance_work_mem = '256MB'`);
  for (const ix of indexes) await db.run(`DROP INDEX ${ix.name}`);
  for (const [name, text] of steps(n, extra)) await timed(name, () => db.run(text));
  await timed(`${indexes.length} indexes`, async () => {
    for (const ix of indexes) await db.run(ix.def);
  });
  await timed('vacuum analyze', () => db.run(`VACUUM ANALYZE ${TABLES.join(', ')}`));
  await db.run(`DROP TABLE fill; SET session_replication_role = DEFAULT`);
  const [c] = await db.run<{ alerts: number; instances: number; history: number; open: number }>(`
    SELECT (SELECT count(*) FROM alerts)::int AS alerts, (SELECT count(*) FROM alert_instances)::int AS instances,
           (SELECT count(*) FROM alert_history)::int AS history,
           (SELECT count(*) FROM alerts WHERE state IN ('firing', 'acknowledged', 'silenced'))::int AS open`);
  return {
    alerts: c!.alerts,
    instances: c!.instances,
    history: c!.history,
    open: c!.open,
    seconds: (performance.now() - t0) / 1000,
    steps: timings,
    rebuilt: indexes.map((i) => i.name),
    extraColumns: extra,
  };
}
