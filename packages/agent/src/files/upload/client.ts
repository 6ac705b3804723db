import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Destination } from '../spec.ts';
import { resolveCredentials, type S3Credentials } from './credentials.ts';
import { UploadError } from './errors.ts';

/**
 * The SDK is loaded on the first upload: an agent without `files:` never pays for its modules
 * (tens of MB of heap).
 */
export type S3Sdk = typeof import('@aws-sdk/client-s3');
let sdkPromise: Promise<S3Sdk> | undefined;
export const loadSdk = (): Promise<S3Sdk> => {
  sdkPromise ??= import('@aws-sdk/client-s3');
  return sdkPromise;
};

export interface S3Connection {
  sdk: S3Sdk;
  client: S3Client;
  /** Values that must never appear in an error text or a log line. */
  secrets: string[];
  /** Where the credentials came from, for refusals a person must fix. */
  origin: string;
  /** The object's URL as this destination addresses it. */
  url(bucket: string, key: string): string;
}

export interface ConnectOptions {
  /**
   * Name resolution for the endpoint's host: tests point `<bucket>.localhost` (virtual-host
   * addressing) at the loopback, which glibc does not resolve.
   */
  lookup?: LookupFunction;
  /** Idle socket limit in ms (a server that stops answering mid-part). */
  requestTimeoutMs?: number;
}

const quiet = () => undefined;
const SILENT = { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');

export function objectUrl(dest: S3Destination, bucket: string, key: string): string {
  const base = new URL(dest.endpoint ?? `https://s3.${dest.region}.amazonaws.com`);
  const root = `${base.protocol}//${base.host}${base.pathname.replace(/\/$/, '')}`;
  if (dest.pathStyle) return `${root}/${bucket}/${encodeKey(key)}`;
  return `${base.protocol}//${bucket}.${base.host}${base.pathname.replace(/\/$/, '')}/${encodeKey(key)}`;
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UploadError(
      'TLS',
      `tls.ca ${file}: cannot read it (${(err as NodeJS.ErrnoException).code})`,
      false,
    );
  }
}

async function connect(
  dest: S3Destination,
  creds: S3Credentials,
  opts: ConnectOptions,
): Promise<S3Connection> {
  const sdk = await loadSdk();
  const { NodeHttpHandler } = await import('@smithy/node-http-handler');
  const agentOptions = { keepAlive: true, ...(opts.lookup ? { lookup: opts.lookup } : {}) };
  const client = new sdk.S3Client({
    region: dest.region,
    ...(dest.endpoint ? { endpoint: dest.endpoint } : {}),
    forcePathStyle: dest.pathStyle,
    credentials: {
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      ...(creds.sessionToken ? { sessionToken: creds.sessionToken } : {}),
    },
    // The uploader computes and sends its own checksums in headers: the SDK's default
    // (WHEN_SUPPORTED) adds CRC32 trailers with aws-chunked bodies that several S3-compatible
    // servers refuse or store corrupted.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The uploader reports failures itself; the SDK would print a warning of its own to stderr.
    logger: SILENT,
    // Retries are the uploader's (back-off per part, limit from the destination's attempts).
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent({
        ...agentOptions,
        rejectUnauthorized: dest.tls.verify,
        ...(dest.tls.ca ? { ca: readCa(dest.tls.ca) } : {}),
      }),
      connectionTimeout: 10_000,
      requestTimeout: opts.requestTimeoutMs ?? 120_000,
    }),
  });
  return {
    sdk,
    client,
    secrets: [creds.secretAccessKey, ...(creds.sessionToken ? [creds.sessionToken] : [])],
    origin: creds.origin,
    url: (bucket, key) => objectUrl(dest, bucket, key),
  };
}

const fingerprint = (c: S3Credentials) =>
  createHash('sha256')
    .update(JSON.stringify([c.accessKeyId, c.secretAccessKey, c.sessionToken ?? '']))
    .digest('hex');

/**
 * One S3 client per destination, shared by the workers; the credentials are read again at
 * every `get`, and a client whose key was rotated (or whose destination was reconfigured) is
 * replaced by a new one.
 */
export class S3Clients {
  /** Promises, so workers asking at the same time share one client. */
  private readonly open = new Map<string, { print: string; conn: Promise<S3Connection> }>();

  constructor(private readonly opts: ConnectOptions = {}) {}

  async get(dest: S3Destination): Promise<S3Connection> {
    const creds = await resolveCredentials(dest.credentials);
    const print = fingerprint(creds);
    const id = JSON.stringify(dest);
    const known = this.open.get(id);
    if (known?.print === print) return known.conn;
    known?.conn.then((c) => c.client.destroy()).catch(() => undefined);
    const conn = connect(dest, creds, this.opts);
    this.open.set(id, { print, conn });
    conn.catch(() => {
      if (this.open.get(id)?.conn === conn) this.open.delete(id);
    });
    return conn;
  }

  close(): void {
    for (const { conn } of this.open.values()) conn.then((c) => c.client.destroy()).catch(() => undefined);
    this.open.clear();
  }
}
