import { parseDuration } from '@opsfleet/core';
import { z } from 'zod';
import { checkKeyTemplate } from './upload/key.ts';

/**
 * agent.yaml `files:`: the file pipeline's watched folders and the S3 destinations their files
 * are uploaded to. Durations as elsewhere (`10s`), sizes as bytes or `8MiB`, `512KiB`, `1GiB`.
 */
const Duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: `'${v}' is not a duration; write 500ms, 10s, 5m, 2h or 1d` });
    return z.NEVER;
  }
});

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
};

/** `8MiB` → 8388608; a bare number is bytes. */
export function parseSize(v: string | number): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(v));
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`'${v}' is not a size; write bytes or 512KiB, 8MiB, 1GiB`);
  return Math.round(Number(m[1]) * unit);
}

const Size = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseSize(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const AbsolutePath = z.string().refine((p) => p.startsWith('/'), { message: 'must be an absolute path' });

/** Names of temporary files that are never taken: editors, partial downloads, copies in progress. */
export const DEFAULT_TEMP_PATTERNS = [
  '*.tmp',
  '*.temp',
  '.~*',
  '~$*',
  '*.part',
  '*.partial',
  '*.crdownload',
  '*.swp',
  '*.filepart',
];

export const S3DestinationSpec = z.strictObject({
  /** `https://s3.example.com` or `http://127.0.0.1:9000`: the scheme decides TLS. Default: AWS for the region. */
  endpoint: z.string().url().optional(),
  region: z.string().default('us-east-1'),
  bucket: z.string().min(3),
  /**
   * The object key: `{host}`, `{source}`, `{date}` (UTC YYYY-MM-DD), `{time}` (HHmmss), `{path}`
   * (relative to the source's root), `{dir}`, `{name}`, `{ext}`, and labels as `{label.app}`.
   */
  key: z
    .string()
    .superRefine((template, ctx) => {
      for (const message of checkKeyTemplate(template)) ctx.addIssue({ code: 'custom', message });
    })
    .default('{host}/{source}/{date}/{path}'),
  /** Path-style addressing (`endpoint/bucket/key`), which MinIO, Ceph and most private S3 need. */
  pathStyle: z.boolean().default(false),
  tls: z
    .strictObject({
      /** PEM file of the CA that signed the endpoint's certificate. */
      ca: AbsolutePath.optional(),
      /** Off only for a test endpoint: the connection is then open to anyone in the middle. */
      verify: z.boolean().default(true),
    })
    .default({ verify: true }),
  /**
   * `env` (default): AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; `file`: an AWS
   * shared-credentials file (`[profile]` with aws_access_key_id / aws_secret_access_key), read at
   * each upload so a rotated key is picked up.
   */
  credentials: z
    .discriminatedUnion('from', [
      z.strictObject({ from: z.literal('env') }),
      z.strictObject({ from: z.literal('file'), file: AbsolutePath, profile: z.string().default('default') }),
    ])
    .default({ from: 'env' }),
  /** Multipart part size: 5MiB at least (S3's minimum), and 10,000 parts at most per object. */
  partSize: Size.pipe(
    z.number().min(5 * 1024 ** 2, 'must be at least 5MiB (S3 refuses smaller parts)'),
  ).default(8 * 1024 ** 2),
  /** Per-part and whole-object checksum the server verifies; `none` still checks the size. */
  checksum: z.enum(['CRC32C', 'CRC32', 'SHA256', 'none']).default('CRC32C'),
  /** Attempts per part and per call before the file is marked failed (with back-off). */
  attempts: z.number().int().min(1).max(100).default(8),
});

export const FileRouteSpec = z.strictObject({
  /** Files under this sub-folder of the source's root (`app-a`, `logs/nginx`) take this route. */
  subdir: z.string().min(1),
  destination: z.string().optional(),
  labels: z.record(z.string(), z.string()).default({}),
});

export const FileSourceSpec = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/i, 'letters, digits, _ . - only'),
  /** The root; nothing outside it is ever read, symlinks included. */
  path: AbsolutePath,
  recursive: z.boolean().default(true),
  /** Globs relative to the root (`**\/*.hprof`, `*.log.gz`); default: every file. */
  include: z.array(z.string().min(1)).default(['**']),
  exclude: z.array(z.string().min(1)).default([]),
  /** Folder names never entered (anywhere under the root). */
  ignoreDirs: z.array(z.string().min(1)).default(['.git', 'lost+found']),
  /** File names never taken; replaces the default list when given. */
  tempPatterns: z.array(z.string().min(1)).default(DEFAULT_TEMP_PATTERNS),
  /** A file is taken once its size and mtime have not changed for this long and no process has it open for writing. */
  quiet: Duration.default(10_000),
  /** A full walk of the root this often reconciles what events missed (queue overflow, watch limits, downtime). */
  rescan: Duration.default(300_000),
  /** Identify files by content too (SHA-256); off by default, as multi-GB files would be read twice. */
  hash: z.boolean().default(false),
  destination: z.string(),
  labels: z.record(z.string(), z.string()).default({}),
  routes: z.array(FileRouteSpec).default([]),
});

export const FilesSpec = z
  .strictObject({
    /** The durable spool (default `<dataDir>/files`). */
    spool: z.string().optional(),
    /** Files taken but not yet uploaded; past it new files wait on disk (back-pressure), reported as saturation. */
    queueSize: z.number().int().min(1).default(10_000),
    /** Files uploaded at a time. */
    workers: z.number().int().min(1).max(64).default(2),
    /** Upload bandwidth cap across workers; unset: none. */
    bytesPerSecond: Size.optional(),
    destinations: z.record(z.string(), S3DestinationSpec),
    sources: z.array(FileSourceSpec).min(1),
  })
  .superRefine((f, ctx) => {
    const names = new Set<string>();
    f.sources.forEach((s, i) => {
      if (names.has(s.name))
        ctx.addIssue({ code: 'custom', path: ['sources', i, 'name'], message: `'${s.name}' is used twice` });
      names.add(s.name);
      const known = (d: string | undefined, path: (string | number)[]) => {
        if (d !== undefined && !(d in f.destinations))
          ctx.addIssue({
            code: 'custom',
            path,
            message: `names no destination; files.destinations has ${Object.keys(f.destinations).join(', ') || 'none'}`,
          });
      };
      known(s.destination, ['sources', i, 'destination']);
      s.routes.forEach((r, j) => {
        known(r.destination, ['sources', i, 'routes', j, 'destination']);
      });
    });
  });

export type FilesSettings = z.output<typeof FilesSpec>;
export type FileSource = z.output<typeof FileSourceSpec>;
export type S3Destination = z.output<typeof S3DestinationSpec>;
