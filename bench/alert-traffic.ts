/**
 * Alert traffic for the ingestion benchmark: a pure function of a seed and the clock values it
 * is handed, so Alertmanager and opsfleet can be sent the same stream, run after run.
 *
 * What it models: vmalert-like rule groups (one alertname on one service in one cluster)
 * evaluated in turn; each evaluation reports every series of the group, firing or recently
 * resolved, as an Alertmanager API v2 postable-alerts array. Series flip between firing and
 * resolved with a per-series probability (a fifth of them flap), so in the long run half of the
 * reports are resolves and a series that fires again does so with a new startsAt: a new
 * episode. Each batch is delivered twice, the second copy a few deliveries later, as the
 * second member of a high-availability pair would.
 */

/** One POST: the body and what it carries. */
export interface Delivery {
  /** JSON: `[{labels, annotations, startsAt, endsAt, generatorURL}, …]`. */
  body: string;
  alerts: number;
  /** Reports with endsAt in the past. */
  resolves: number;
  /** Firing reports of an episode this stream had not reported before. */
  newEpisodes: number;
  /** New episodes of a series that had an earlier one. */
  flaps: number;
  /** The second copy of an earlier delivery. */
  duplicate: boolean;
}

export interface TrafficOptions {
  seed: number;
  /**
   * Which fleet of hosts the series live on (it sets the instance addresses): streams of
   * different fleets share alertnames, clusters and services, but never a label set.
   */
  fleet?: number;
  /** Seconds between evaluations of one group; firing reports say endsAt = now + 3 × this. */
  evaluationSeconds?: number;
}

/** A postable alert as Alertmanager's `POST /api/v2/alerts` takes it. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

export const ALERTNAMES: readonly { name: string; severity: string; what: string }[] = [
  { name: 'HighCPUUsage', severity: 'warning', what: 'CPU above 90% for 10 minutes' },
  { name: 'HighMemoryUsage', severity: 'warning', what: 'memory above 90% of the limit' },
  { name: 'DiskWillFillIn4Hours', severity: 'critical', what: 'disk predicted full within 4 hours' },
  { name: 'PodCrashLooping', severity: 'high', what: 'container restarting repeatedly' },
  { name: 'HTTP5xxRateHigh', severity: 'critical', what: 'more than 5% of requests failing' },
  { name: 'LatencyP99High', severity: 'high', what: 'p99 latency above its objective' },
  { name: 'TargetDown', severity: 'critical', what: 'scrape target not answering' },
  { name: 'CertificateExpiringSoon', severity: 'info', what: 'TLS certificate expires within 14 days' },
];

export const CLUSTERS: readonly { name: string; env: string; region: string }[] = [
  { name: 'prod-eu-1', env: 'prod', region: 'eu-central-1' },
  { name: 'prod-eu-2', env: 'prod', region: 'eu-west-1' },
  { name: 'prod-us-1', env: 'prod', region: 'us-east-1' },
  { name: 'prod-ap-1', env: 'prod', region: 'ap-southeast-1' },
  { name: 'staging-eu-1', env: 'staging', region: 'eu-central-1' },
  { name: 'dev-us-1', env: 'dev', region: 'us-east-1' },
];

export const SERVICES: readonly string[] = [
  'checkout',
  'payments',
  'cart',
  'search',
  'catalog',
  'users',
  'auth',
  'orders',
  'inventory',
  'shipping',
  'billing',
  'notifications',
  'gateway',
  'recommendations',
  'reviews',
  'media',
  'analytics',
  'ledger',
  'pricing',
  'fraud',
  'email',
  'sms',
  'reports',
  'admin',
];

const TEAMS = ['storefront', 'money', 'platform', 'growth', 'data', 'identity'];
/** Series per group: 1 to this many, evenly. */
const MAX_SERIES = 12;
/** Share of series that flap, and how often a flapping or a steady series changes state per evaluation. */
const FLAPPY_SHARE = 0.2;
const FLIP_FLAPPY = 0.5;
const FLIP_STEADY = 0.1;
/** The HA copy of a batch follows it after 0 to this many other deliveries. */
const MAX_COPY_LAG = 4;

/** mulberry32: small, fast, and good enough to shuffle benchmark traffic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Series {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorURL: string;
  flappy: boolean;
  firing: boolean;
  /** ms; the current (or last) episode's start. */
  startsAt: number;
  /** ms; when the last episode ended, while resolved. */
  endsAt: number;
  /** Whether this stream has reported the current episode firing yet. */
  reported: boolean;
  /** Whether the series had an episode before the current one. */
  hadEpisode: boolean;
}

interface Group {
  series: Series[] | null;
  alertname: number;
  cluster: number;
  service: number;
}

export const GROUPS = ALERTNAMES.length * CLUSTERS.length * SERVICES.length;

export class AlertTraffic {
  private readonly random: () => number;
  private readonly fleet: number;
  private readonly evaluationMs: number;
  private readonly groups: Group[];
  private readonly copies: { due: number; delivery: Delivery }[] = [];
  private sent = 0;

  constructor(opts: TrafficOptions) {
    this.random = rng(opts.seed);
    this.fleet = opts.fleet ?? 0;
    this.evaluationMs = (opts.evaluationSeconds ?? 15) * 1000;
    this.groups = [];
    for (let a = 0; a < ALERTNAMES.length; a++)
      for (let c = 0; c < CLUSTERS.length; c++)
        for (let s = 0; s < SERVICES.length; s++)
          this.groups.push({ series: null, alertname: a, cluster: c, service: s });
  }

  /** The next delivery at clock `nowMs` (ms since the epoch; it must not go backwards). */
  next(nowMs: number): Delivery {
    const now = Math.floor(nowMs);
    this.sent += 1;
    const copy = this.copies[0];
    if (copy && copy.due <= this.sent) {
      this.copies.shift();
      return { ...copy.delivery, duplicate: true };
    }
    const group = this.groups[Math.floor(this.random() * this.groups.length)]!;
    const delivery = this.evaluate(group, now);
    const due = this.sent + 1 + Math.floor(this.random() * (MAX_COPY_LAG + 1));
    this.copies.push({ due, delivery });
    this.copies.sort((x, y) => x.due - y.due);
    return delivery;
  }

  /** One evaluation of a group: every series steps its state and is reported. */
  private evaluate(group: Group, now: number): Delivery {
    group.series ??= this.seriesOf(group, now);
    const alerts: PostableAlert[] = [];
    let resolves = 0;
    let newEpisodes = 0;
    let flaps = 0;
    for (const s of group.series) {
      this.step(s, now);
      if (s.firing) {
        if (!s.reported) {
          newEpisodes += 1;
          if (s.hadEpisode) flaps += 1;
          s.reported = true;
        }
      } else resolves += 1;
      alerts.push({
        labels: s.labels,
        annotations: s.annotations,
        startsAt: new Date(s.startsAt).toISOString(),
        endsAt: new Date(s.firing ? now + 3 * this.evaluationMs : s.endsAt).toISOString(),
        generatorURL: s.generatorURL,
      });
    }
    return {
      body: JSON.stringify(alerts),
      alerts: alerts.length,
      resolves,
      newEpisodes,
      flaps,
      duplicate: false,
    };
  }

  /**
   * A state change lands between the last evaluation and now; it is skipped when the clock
   * leaves no room for one, so every episode starts after the last one ended and every
   * resolve ends after its start and before now.
   */
  private step(s: Series, now: number): void {
    if (this.random() >= (s.flappy ? FLIP_FLAPPY : FLIP_STEADY)) return;
    const from = s.firing ? s.startsAt : s.endsAt;
    if (now - from < 3) return;
    const at = from + 1 + Math.floor(this.random() * (now - from - 2));
    if (s.firing) {
      s.firing = false;
      s.endsAt = at;
    } else {
      s.firing = true;
      s.startsAt = at;
      s.reported = false;
      s.hadEpisode = true;
    }
  }

  /**
   * A group's series the first time it is evaluated: half of them firing and half resolved,
   * with histories of up to two hours, as a stream joined mid-way would find them.
   */
  private seriesOf(group: Group, now: number): Series[] {
    const alert = ALERTNAMES[group.alertname]!;
    const cluster = CLUSTERS[group.cluster]!;
    const service = SERVICES[group.service]!;
    const count = 1 + Math.floor(this.random() * MAX_SERIES);
    return Array.from({ length: count }, (_, i) => {
      const host = `10.${this.fleet}.${group.cluster * SERVICES.length + group.service}.${i + 1}`;
      const pod = `${service}-${(group.alertname * 7 + i).toString(36)}${(group.service * 131 + i * 17).toString(36)}-${i}`;
      const labels = {
        alertname: alert.name,
        severity: alert.severity,
        cluster: cluster.name,
        env: cluster.env,
        region: cluster.region,
        namespace: `${service}-${cluster.env}`,
        service,
        team: TEAMS[group.service % TEAMS.length]!,
        job: `${service}-metrics`,
        instance: `${host}:9100`,
        pod,
        container: service,
      };
      const annotations = {
        summary: `${alert.name} on ${service} (${pod}) in ${cluster.name}`,
        description: `${service} in ${cluster.name}: ${alert.what}. Instance ${host}:9100, team ${labels.team}.`,
        runbook_url: `https://runbooks.example.com/${alert.name.toLowerCase()}`,
      };
      const firing = this.random() < 0.5;
      const startsAt = now - 1000 - Math.floor(this.random() * 7_200_000);
      return {
        labels,
        annotations,
        generatorURL: `http://vmalert-${cluster.name}:8880/vmalert/alert?group_id=${group.alertname}${group.service}&alert_id=${i}`,
        flappy: this.random() < FLAPPY_SHARE,
        firing,
        startsAt,
        endsAt: firing ? 0 : startsAt + 1 + Math.floor((now - startsAt - 2) * this.random()),
        reported: false,
        hadEpisode: false,
      };
    });
  }
}
