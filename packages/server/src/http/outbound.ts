import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * The server's one way out. Anyone who may configure a notification channel chooses where the
 * server connects; without a policy that is a request forgery primitive against the network
 * the server sits in (cloud metadata, databases, admin ports on loopback). Every destination is
 * checked as an address, after DNS: the lookup that `net.connect` uses is the one that checks,
 * so the address connected to is the address that passed (a DNS answer that changes between a
 * check and a connect — rebinding — has nothing to slip through). Redirects go through the same
 * path, and receivers' answers never travel back beyond the channel that reads them.
 */

interface Range {
  net: string;
  prefix: number;
  why: string;
}

const METADATA = 'link-local (cloud metadata lives at 169.254.169.254)';
const DENIED = (
  [
    { net: '0.0.0.0', prefix: 8, why: 'unspecified ("this network")' },
    { net: '10.0.0.0', prefix: 8, why: 'private' },
    { net: '100.64.0.0', prefix: 10, why: 'shared CGNAT (Alibaba Cloud metadata lives at 100.100.100.200)' },
    { net: '127.0.0.0', prefix: 8, why: 'loopback' },
    { net: '169.254.0.0', prefix: 16, why: METADATA },
    { net: '172.16.0.0', prefix: 12, why: 'private' },
    { net: '192.0.0.0', prefix: 24, why: 'IETF protocol assignments' },
    { net: '192.168.0.0', prefix: 16, why: 'private' },
    { net: '198.18.0.0', prefix: 15, why: 'benchmarking' },
    { net: '224.0.0.0', prefix: 4, why: 'multicast' },
    { net: '240.0.0.0', prefix: 4, why: 'reserved or broadcast' },
    { net: '::', prefix: 128, why: 'unspecified' },
    { net: '::1', prefix: 128, why: 'loopback' },
    { net: '::', prefix: 96, why: 'IPv4-compatible (deprecated)' },
    { net: '64:ff9b::', prefix: 96, why: 'NAT64 (reaches IPv4 addresses through a translator)' },
    { net: '64:ff9b:1::', prefix: 48, why: 'local NAT64' },
    { net: '100::', prefix: 64, why: 'discard-only' },
    { net: '2001::', prefix: 32, why: 'Teredo (tunnels to IPv4 addresses)' },
    { net: '2002::', prefix: 16, why: '6to4 (tunnels to IPv4 addresses)' },
    { net: 'fc00::', prefix: 7, why: 'unique local (AWS metadata lives at fd00:ec2::254)' },
    { net: 'fe80::', prefix: 10, why: 'link-local' },
    { net: 'fec0::', prefix: 10, why: 'site-local (deprecated)' },
    { net: 'ff00::', prefix: 8, why: 'multicast' },
  ] as Range[]
).map((r) => ({ ...r, list: blockOf(r) }));

function blockOf(r: { net: string; prefix: number }): BlockList {
  const list = new BlockList();
  list.addSubnet(r.net, r.prefix, isIP(r.net) === 6 ? 'ipv6' : 'ipv4');
  return list;
}

/** `::ffff:7f00:1` and `::ffff:127.0.0.1` are 127.0.0.1 on the wire: judged as IPv4. */
export function canonicalAddress(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 6) return bare;
  const host = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return host;
  const n = (Number.parseInt(mapped[1]!, 16) << 16) | Number.parseInt(mapped[2]!, 16);
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/**
 * `OUTBOUND_ALLOW`: comma-separated addresses or CIDR blocks the server may reach although they
 * are internal. Throws naming the entry that is neither.
 */
export function parseAllowList(raw: string | string[] | undefined): string[] {
  const entries = (Array.isArray(raw) ? raw : (raw ?? '').split(',')).map((e) => e.trim()).filter(Boolean);
  for (const entry of entries) {
    const [addr = '', prefix, ...rest] = entry.split('/');
    const family = isIP(addr);
    const bits = prefix === undefined ? undefined : Number(prefix);
    const max = family === 6 ? 128 : 32;
    if (
      !family ||
      rest.length ||
      (bits !== undefined && !(Number.isInteger(bits) && bits >= 0 && bits <= max))
    )
      throw new Error(
        `OUTBOUND_ALLOW: "${entry}" is not an address or CIDR block; write e.g. 127.0.0.1/32,10.0.0.0/8,fd00::/8`,
      );
  }
  return entries;
}

export class OutboundRefused extends Error {
  readonly code = 'EOUTBOUNDREFUSED';
}

export type Resolver = (host: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    ),
  );

export interface OutboundOptions {
  /** Internal addresses an admin allows (`OUTBOUND_ALLOW`); everything else internal is refused. */
  allow?: string[];
  /** For each request including its redirects (default 10 s). */
  timeoutMs?: number;
  maxRedirects?: number;
  /** The most of an answer that is read; a receiver cannot make the server buffer more. */
  maxAnswerBytes?: number;
  /** Name resolution; the system's by default. Tests hand in one that lies. */
  resolve?: Resolver;
}

/** Per call: how much of the answer to read, and TLS settings (an https agent keys its pool by them). */
export interface CallOptions {
  maxAnswerBytes?: number;
  tls?: { ca?: string; rejectUnauthorized?: boolean; servername?: string };
}

export type OutboundAnswer =
  | { status: number; text: string; ms: number }
  /** `refused`: the address policy said no; trying again changes nothing until an admin does. */
  | { error: string; refused: boolean; ms: number };

/** An answer with its headers, for a caller that reads them (Jenkins's `Location`, `X-Text-Size`). */
export type OutboundCall =
  | { status: number; text: string; headers: IncomingHttpHeaders; ms: number }
  | { error: string; refused: boolean; ms: number };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class Outbound {
  private readonly allow = new BlockList();
  private readonly timeoutMs: number;
  private readonly maxRedirects: number;
  private readonly maxAnswerBytes: number;
  private readonly resolver: Resolver;
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };

  constructor(opts: OutboundOptions = {}) {
    for (const entry of parseAllowList(opts.allow)) {
      const [addr, prefix] = entry.split('/') as [string, string | undefined];
      const canonical = canonicalAddress(addr);
      const family = isIP(canonical) === 6 ? 'ipv6' : 'ipv4';
      const bits = prefix === undefined ? (family === 'ipv6' ? 128 : 32) : Number(prefix);
      this.allow.addSubnet(canonical, canonical === addr ? bits : Math.max(0, bits - 96), family);
    }
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxRedirects = opts.maxRedirects ?? 5;
    this.maxAnswerBytes = opts.maxAnswerBytes ?? 64 * 1024;
    this.resolver = opts.resolve ?? systemResolver;
  }

  /** Why an address may not be reached, or undefined when it may. */
  refusal(address: string): string | undefined {
    const canonical = canonicalAddress(address);
    const family = isIP(canonical) === 6 ? 'ipv6' : 'ipv4';
    if (this.allow.check(canonical, family)) return undefined;
    return DENIED.find((r) => r.list.check(canonical, family))?.why;
  }

  /**
   * A destination's host refused as written (an address literal), for configuration checks; a
   * name passes here and is judged on every connect, as its addresses can change.
   */
  hostRefusal(host: string): string | undefined {
    const bare = host.replace(/^\[|\]$/g, '');
    if (!isIP(bare)) return undefined;
    const why = this.refusal(bare);
    return why && `${bare} is ${why}; an admin can allow it with OUTBOUND_ALLOW`;
  }

  /** The addresses of `host` the policy allows; refuses when none is. */
  async resolve(host: string): Promise<LookupAddress[]> {
    const bare = host.replace(/^\[|\]$/g, '');
    const family = isIP(bare);
    const found = family ? [{ address: bare, family }] : await this.resolver(bare);
    const allowed = found.filter((a) => !this.refusal(a.address));
    if (allowed.length) return allowed;
    const why = [...new Set(found.map((a) => this.refusal(a.address)))].join(', ');
    throw new OutboundRefused(
      family
        ? `refused to connect to ${bare}: ${why} address; an admin can allow it with OUTBOUND_ALLOW`
        : `refused to connect to ${bare}: it resolves to ${why || 'no'} addresses only; an admin can allow them with OUTBOUND_ALLOW`,
    );
  }

  /** What `net.connect` calls instead of dns.lookup: a name becomes only addresses that passed. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (list) => (options.all ? callback(null, list) : callback(null, list[0]!.address, list[0]!.family)),
      (err: Error) => callback(err, ''),
    );
  };

  /**
   * POSTs `body`; follows redirects the way fetch does (303, and 301/302 after a POST, become a
   * GET without the body), each hop checked again, and carries the caller's headers to the first
   * origin only. Failures are answered, never thrown; their text never holds the answer's body.
   */
  async post(url: string, body: string, headers: Record<string, string>): Promise<OutboundAnswer> {
    return this.send('POST', url, body, headers, {});
  }

  /**
   * GETs `url` for a caller that needs the answer itself (a data source's API): up to
   * `maxAnswerBytes` of it, with the TLS settings given. Same address policy, redirects and
   * failures-as-answers as `post`.
   */
  async get(url: string, headers: Record<string, string>, opts: CallOptions = {}): Promise<OutboundAnswer> {
    return this.send('GET', url, undefined, headers, opts);
  }

  /**
   * One request, redirects not followed (a 303's `Location` is the answer a caller wants), with
   * the answer's headers. `signal` aborts it early (a cancelled task); the client's timeout holds
   * too. Same address policy and failures-as-answers as `post`.
   */
  async call(
    method: 'GET' | 'POST',
    url: string,
    body: string | undefined,
    headers: Record<string, string>,
    opts: CallOptions & { signal?: AbortSignal } = {},
  ): Promise<OutboundCall> {
    const t0 = performance.now();
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    try {
      const res = await this.once(new URL(url), method, body, headers, signal, opts);
      return { status: res.status, text: res.text, headers: res.headers, ms: performance.now() - t0 };
    } catch (err) {
      const e = err as Error & { code?: string };
      const error = opts.signal?.aborted
        ? 'aborted'
        : timeout.aborted
          ? `no answer within ${this.timeoutMs / 1000} s`
          : e instanceof OutboundRefused
            ? e.message
            : `${e.code ?? 'error'}: ${e.message}`;
      return { error, refused: e instanceof OutboundRefused, ms: performance.now() - t0 };
    }
  }

  private async send(
    firstMethod: string,
    url: string,
    body: string | undefined,
    headers: Record<string, string>,
    opts: CallOptions,
  ): Promise<OutboundAnswer> {
    const t0 = performance.now();
    const signal = AbortSignal.timeout(this.timeoutMs);
    let method = firstMethod;
    let payload: string | undefined = body;
    try {
      let target = new URL(url);
      const origin = target.origin;
      for (let hop = 0; ; hop++) {
        const sent = target.origin === origin ? headers : {};
        const res = await this.once(target, method, payload, sent, signal, opts);
        if (!REDIRECTS.has(res.status) || !res.location)
          return { status: res.status, text: res.text, ms: performance.now() - t0 };
        if (hop >= this.maxRedirects)
          return {
            error: `more than ${this.maxRedirects} redirects`,
            refused: false,
            ms: performance.now() - t0,
          };
        target = new URL(res.location, target);
        if (target.protocol !== 'http:' && target.protocol !== 'https:')
          return {
            error: `redirected to a ${target.protocol} URL`,
            refused: false,
            ms: performance.now() - t0,
          };
        if (res.status === 303 || (method === 'POST' && res.status < 303)) {
          method = 'GET';
          payload = undefined;
        }
      }
    } catch (err) {
      const e = err as Error & { code?: string };
      const error = signal.aborted
        ? `no answer within ${this.timeoutMs / 1000} s`
        : e instanceof OutboundRefused
          ? e.message
          : `${e.code ?? 'error'}: ${e.message}`;
      return { error, refused: e instanceof OutboundRefused, ms: performance.now() - t0 };
    }
  }

  private async once(
    url: URL,
    method: string,
    body: string | undefined,
    headers: Record<string, string>,
    signal: AbortSignal,
    opts: CallOptions,
  ): Promise<{ status: number; location?: string; text: string; headers: IncomingHttpHeaders }> {
    // An address literal never reaches the lookup: net.connect uses it as it is.
    if (isIP(url.hostname.replace(/^\[|\]$/g, ''))) await this.resolve(url.hostname);
    try {
      return await this.exchange(url, method, body, headers, signal, opts);
    } catch (err) {
      // A kept-alive connection the receiver closed just as it was reused: the request never
      // reached it, so it goes once more on a fresh connection (Node's documented remedy).
      if (
        (err as { reusedSocket?: boolean }).reusedSocket &&
        (err as { code?: string }).code === 'ECONNRESET'
      )
        return this.exchange(url, method, body, headers, signal, opts);
      throw err;
    }
  }

  private exchange(
    url: URL,
    method: string,
    body: string | undefined,
    headers: Record<string, string>,
    signal: AbortSignal,
    opts: CallOptions,
  ): Promise<{ status: number; location?: string; text: string; headers: IncomingHttpHeaders }> {
    const protocol = url.protocol as 'http:' | 'https:';
    const max = opts.maxAnswerBytes ?? this.maxAnswerBytes;
    const tls = protocol === 'https:' ? (opts.tls ?? {}) : {};
    return new Promise((resolve, reject) => {
      const req = (protocol === 'https:' ? https : http).request(
        url,
        {
          method,
          agent: this.agents[protocol],
          lookup: this.lookup,
          ...tls,
          signal,
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const done = () =>
            resolve({
              status: res.statusCode ?? 0,
              ...(res.headers.location ? { location: res.headers.location } : {}),
              text: Buffer.concat(chunks).toString('utf8'),
              headers: res.headers,
            });
          res.on('data', (chunk: Buffer) => {
            if (size >= max) return;
            chunks.push(chunk.subarray(0, max - size));
            size += chunk.length;
            if (size >= max) {
              done();
              res.destroy();
            }
          });
          res.on('end', done);
          res.on('error', reject);
        },
      );
      req.on('error', (err) => reject(Object.assign(err, { reusedSocket: req.reusedSocket })));
      req.end(body);
    });
  }

  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }
}
