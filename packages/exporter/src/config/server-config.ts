import { parseDuration } from '@opsfleet/core';
import { z } from 'zod';
import { defaultMappingPath, loadMappings } from '../mappings/catalog.ts';

/**
 * server.yaml, with the public exporter's field names: the top-level `server:` (or its
 * deprecated alias `serverconf:`), `estimation:`, and the shipped file's `regionData:`, which
 * only the Helm chart acts on. Every key is either used or refused with what to do instead: a
 * key accepted and ignored (a typo, a setting of another version) would leave the user
 * believing it applies.
 */

const boolish = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', ''])])
  .transform((v) => {
    if (typeof v === 'boolean') return v;
    return v === 'true' || v === '1' || v === 'yes';
  });

const intIn = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be between ${min} and ${max}` })
    .max(max, { error: `must be between ${min} and ${max}` });

const duration = z
  .union([z.string(), z.number()])
  .refine(
    (v) => {
      try {
        parseDuration(v);
        return true;
      } catch {
        return false;
      }
    },
    { error: 'must be a duration such as 30s, 5m, 2h or 1d' },
  )
  .transform((v) => parseDuration(v));

const credentialPair = z.object({ username: z.string().min(1), password: z.string().min(1) });

const logSchema = z
  .strictObject({
    level: z
      .enum(['debug', 'info', 'warn', 'error', 'fatal'], {
        error: 'must be one of debug, info, warn, error, fatal',
      })
      .default('info'),
    format: z.enum(['json', 'console'], { error: 'must be json or console' }).default('json'),
    output: z
      .enum(['stdout', 'console', 'file', 'both'], { error: 'must be stdout, console, file or both' })
      .default('stdout'),
    file: z
      .strictObject({
        path: z.string().default('logs/exporter.log'),
        max_size: z.coerce.number().positive().default(100),
        max_backups: z.coerce.number().int().min(0).default(3),
        max_age: z.coerce.number().min(0).default(28),
        compress: boolish.default(true),
      })
      .prefault({}),
  })
  .superRefine((log, ctx) => {
    // The file is always JSON lines; only stdout can be console lines.
    if (log.format === 'console' && log.output === 'file')
      ctx.addIssue({
        code: 'custom',
        path: ['format'],
        message:
          'console applies to stdout, and output: file writes JSON lines only: set format: json, or output: both',
      });
  })
  .prefault({});

const regionDiscoverySchema = z
  .strictObject({
    enabled: boolish.default(true),
    discovery_interval: duration.default(86_400_000),
    empty_threshold: intIn(1, 1000).default(3),
    data_dir: z.string().default('data'),
    persist_file: z.string().default('region_status.json'),
  })
  .prefault({});

let shippedNames: Map<string, string[]> | undefined;

/** Canonical metric names per catalog prefix (`clb`, `bwp`, `s3`…) of the shipped catalog. */
export function selectableMetrics(): Map<string, string[]> {
  if (!shippedNames) {
    shippedNames = new Map();
    for (const e of loadMappings(defaultMappingPath()).catalog.entries())
      shippedNames.set(e.prefix, [...(shippedNames.get(e.prefix) ?? []), e.canonical]);
  }
  return shippedNames;
}

const metricList = z.record(
  z.string(),
  z
    .array(z.string())
    .nullish()
    .transform((v) => v ?? []),
);

/**
 * `metrics:` chooses which catalog metrics are read, per product (the catalog prefix): each
 * metric left out is one cloud call fewer per resource and collection. Names are checked
 * against the shipped catalog so a typo is refused instead of silently selecting nothing.
 */
const metricSelectionSchema = z
  .strictObject({
    include: metricList.nullish().transform((v) => v ?? {}),
    exclude: metricList.nullish().transform((v) => v ?? {}),
  })
  .superRefine((sel, ctx) => {
    const known = selectableMetrics();
    const products = [...known.keys()].sort().join(', ');
    for (const kind of ['include', 'exclude'] as const)
      for (const [product, names] of Object.entries(sel[kind])) {
        const valid = known.get(product);
        if (!valid) {
          ctx.addIssue({
            code: 'custom',
            path: [kind, product],
            message: `unknown product "${product}": choose one of ${products}`,
          });
          continue;
        }
        if (kind === 'include' && !names.length)
          ctx.addIssue({
            code: 'custom',
            path: [kind, product],
            message: `an empty include list would read nothing of ${product}: list metrics, or remove ${product} from accounts' resources`,
          });
        names.forEach((name, i) => {
          if (!valid.includes(name))
            ctx.addIssue({
              code: 'custom',
              path: [kind, product, i],
              message: `unknown ${product} metric "${name}": choose among ${[...valid].sort().join(', ')}`,
            });
        });
        if (kind === 'exclude' && sel.include[product])
          ctx.addIssue({
            code: 'custom',
            path: [kind, product],
            message: `${product} has both an include and an exclude list: keep only the include list, without the excluded names`,
          });
      }
  })
  .prefault({});

export type MetricSelection = z.output<typeof metricSelectionSchema>;

/** Keys of the public exporter's older files that opsfleet has no use for, and what to do instead. */
const RETIRED_KEYS: Record<string, string> = {
  service_endpoint:
    'not used: set `endpoint` on each account in accounts.yaml to send its API calls elsewhere',
  log_dest: 'not used: set log.output (stdout, file or both) instead',
  log_dir: 'not used: set log.file.path instead',
  log_level: 'not used: set log.level instead',
  http_proxy: 'not supported: cloud API calls are not sent through a proxy; remove it',
  https_proxy: 'not supported: cloud API calls are not sent through a proxy; remove it',
  no_proxy: 'not supported: cloud API calls are not sent through a proxy; remove it',
  no_meta: 'not used: metric metadata is always read, and cached for discovery_ttl; remove it',
  discovery_refresh: 'not used: set discovery_ttl (how long discovered resources are cached) instead',
};

const retired = Object.fromEntries(
  Object.entries(RETIRED_KEYS).map(([key, why]) => [
    key,
    z.custom<never>(() => false, { error: why }).optional(),
  ]),
) as Record<string, z.ZodOptional<z.ZodCustom<never>>>;

export const serverSectionSchema = z.strictObject({
  ...retired,
  port: intIn(1, 65535).default(9101),
  /**
   * The address the HTTP port binds. /metrics must be reachable by Prometheus, so all interfaces
   * by default; the admin endpoints answer only to loopback unless admin auth is on.
   */
  listen_address: z.string().min(1).default('0.0.0.0'),
  page_size: intIn(1, 1440).optional(),
  discovery_ttl: duration.default(3_600_000),
  scrape_interval: duration.default(60_000),
  period_fallback: intIn(1, 86_400).default(60),
  cloudwatch_delay: duration.default(120_000),
  region_concurrency: intIn(0, 20).default(4),
  metric_concurrency: intIn(0, 20).default(5),
  product_concurrency: intIn(0, 10).default(2),
  log: logSchema,
  region_discovery: regionDiscoverySchema,
  metrics: metricSelectionSchema,
  resource_dim_mapping: z.record(z.string(), z.array(z.string())).default({}),
  admin_auth_enabled: boolish.default(false),
  admin_auth: z
    .array(credentialPair)
    .nullish()
    .transform((v) => v ?? []),
});

export const estimationSchema = z.strictObject({
  clb: z
    .strictObject({
      aliyun_bandwidth_cap_bps: z.coerce.number().positive().optional(),
      per_instance_cap_bps: z.record(z.string(), z.coerce.number().positive()).optional(),
    })
    .optional(),
});

/**
 * The shipped server.yaml's `regionData:` is the Helm chart's PVC setting (values.yaml
 * `regionData.persistence`); the process cannot act on it and says so with a warning. The
 * shipped file also indents `admin_auth_enabled` and `admin_auth` under it, where they do
 * nothing: credentials listed there are refused rather than silently not applied.
 */
const regionDataSchema = z.strictObject({
  persistence: z
    .strictObject({
      enabled: boolish.optional(),
      storageClass: z.string().nullish(),
      size: z.string().nullish(),
      accessMode: z.string().nullish(),
      existingClaim: z.string().nullish(),
    })
    .nullish(),
  admin_auth_enabled: boolish.optional(),
  admin_auth: z
    .array(credentialPair)
    .max(0, {
      error:
        'admin auth is read under server:, not under regionData:, so these credentials would protect nothing: move admin_auth_enabled and admin_auth under server:',
    })
    .nullish(),
});

export const serverFileSchema = z
  .strictObject({
    server: serverSectionSchema.optional(),
    serverconf: serverSectionSchema.optional(),
    estimation: estimationSchema.nullish(),
    regionData: regionDataSchema.nullish(),
  })
  .superRefine((file, ctx) => {
    if (file.server && file.serverconf)
      ctx.addIssue({
        code: 'custom',
        path: ['serverconf'],
        message:
          'both server: and its old name serverconf: are present, and only server: is read: merge them into server:',
      });
  })
  .transform((file) => ({
    server: file.server ?? file.serverconf ?? serverSectionSchema.parse({}),
    estimation: file.estimation ?? undefined,
    warnings: regionDataWarnings(file.regionData),
  }));

function regionDataWarnings(regionData: z.output<typeof regionDataSchema> | null | undefined): string[] {
  if (!regionData) return [];
  const warnings = [
    'regionData: not read by the exporter: it is the Helm chart value regionData.persistence (a PVC for region state); the process keeps region state in server.region_discovery.data_dir',
  ];
  if (regionData.admin_auth_enabled)
    warnings.push(
      'regionData.admin_auth_enabled: not read here: ADMIN_AUTH_ENABLED or server.admin_auth_enabled turn admin auth on',
    );
  return warnings;
}

export type ServerFile = z.output<typeof serverFileSchema>;
export type ServerSection = ServerFile['server'];

/** Defaults used when no server.yaml exists (the demo, quick trials). */
export function defaultServerFile(): ServerFile {
  return serverFileSchema.parse({});
}

/**
 * Candidate dimension keys per `provider.namespace` (which dimension identifies the resource),
 * merged under the user's `resource_dim_mapping`: user keys win, built-in keys stay.
 */
export const DEFAULT_RESOURCE_DIM_MAPPING: Record<string, string[]> = {
  'aliyun.acs_slb_dashboard': [
    'InstanceId',
    'instanceId',
    'instance_id',
    'groupId',
    'group_id',
    'userId',
    'vip',
    'port',
    'protocol',
  ],
  'aliyun.acs_bandwidth_package': [
    'BandwidthPackageId',
    'bandwidthPackageId',
    'sharebandwidthpackages',
    'userId',
    'instanceId',
  ],
  'aliyun.acs_oss_dashboard': ['BucketName', 'bucketName', 'bucket_name', 'userId', 'instanceId'],
  'aliyun.acs_alb': [
    'loadBalancerId',
    'LoadBalancerId',
    'serverGroupId',
    'listenerId',
    'vip',
    'userId',
    'listenerProtocol',
    'listenerPort',
    'ruleId',
  ],
  'aliyun.acs_nlb': [
    'InstanceId',
    'instanceId',
    'instance_id',
    'listenerId',
    'vip',
    'userId',
    'listenerPort',
    'listenerProtocol',
  ],
  'aliyun.acs_gwlb': [
    'instanceId',
    'InstanceId',
    'instance_id',
    'userId',
    'regionId',
    'availableZone',
    'addressIpVersion',
    'serverGroupId',
  ],
  'aliyun.acs_ecs_dashboard': ['InstanceId', 'instanceId', 'instance_id'],
  'tencent.QCE/LB': ['LoadBalancerId', 'vip'],
  'tencent.qce/gwlb': ['gwLoadBalancerId', 'GwLoadBalancerId'],
  'tencent.QCE/CVM': ['InstanceId'],
  'aws.AWS/ELB': ['LoadBalancerName'],
  'aws.AWS/EC2': ['InstanceId'],
};

export function mergeDimMapping(user: Record<string, string[]>): Record<string, string[]> {
  return { ...DEFAULT_RESOURCE_DIM_MAPPING, ...user };
}
