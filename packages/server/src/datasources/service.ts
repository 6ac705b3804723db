import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { Outbound } from '../http/outbound.ts';
import { badRequest, notFound } from '../http/problem.ts';
import type { SecretBox } from '../identity/secret-box.ts';
import type { Audit } from '../release/service.ts';
import { type Endpoint, PeerClient } from './client.ts';
import {
  type AuthType,
  type DatasourceRow,
  type Kind,
  datasourceStore as store,
  type TlsSettings,
} from './store.ts';

export interface DatasourceInput {
  name: string;
  kind: Kind;
  url: string;
  authType: AuthType;
  username?: string;
  /** The password (basic) or token (bearer); left out on an update, the stored one is kept. */
  secret?: string;
  tls?: TlsSettings;
  labels?: Record<string, string>;
}

const parsed = <T>(v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as T;
const field = (path: string, message: string) => badRequest(`${path}: ${message}`, [{ path, message }]);

/** The answer's view: the secret is write-only, shown as whether one is stored; a CA as whether one is set. */
export const datasourceView = (r: DatasourceRow) => {
  const tls = parsed<TlsSettings>(r.tls);
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    url: r.url,
    authType: r.auth_type,
    username: r.username,
    hasSecret: r.sealed_secret !== null,
    tls: {
      hasCa: Boolean(tls.ca),
      insecureSkipVerify: tls.insecureSkipVerify ?? false,
      serverName: tls.serverName ?? '',
    },
    labels: parsed<Record<string, string>>(r.labels),
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
};

/**
 * Data sources (Prometheus, VictoriaMetrics, Alertmanager): kept with their credential sealed and
 * bound to the data source's id, never returned; read through the server's outbound client.
 */
export class DatasourceService {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly net: Outbound,
    private readonly audit: Audit,
  ) {}

  private async row(id: string): Promise<DatasourceRow> {
    const row = await store.get(this.db, id);
    if (!row) throw notFound(`no data source ${id}`);
    return row;
  }

  private seal(id: string, secret: string): string {
    return this.box.seal(JSON.stringify({ datasource: id, secret }));
  }

  private opened(r: DatasourceRow): string {
    if (!r.sealed_secret) return '';
    const { datasource, secret } = JSON.parse(this.box.open(r.sealed_secret)) as {
      datasource: string;
      secret: string;
    };
    if (datasource !== r.id)
      throw new Error(`the sealed credential of data source ${r.id} belongs to another one`);
    return secret;
  }

  /** Checks what the schema cannot: the URL's form, the address policy, a credential where auth needs one. */
  private check(d: DatasourceInput, stored?: DatasourceRow): void {
    let u: URL;
    try {
      u = new URL(d.url);
    } catch {
      throw field('body.url', 'not a URL: give e.g. http://prometheus.internal:9090');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw field('body.url', 'must be http:// or https://');
    if (u.username || u.password || u.search)
      throw field('body.url', 'put credentials in auth, not in the URL, and leave out the query string');
    const why = this.net.hostRefusal(u.hostname);
    if (why) throw field('body.url', why);
    if (d.tls?.ca && !d.tls.ca.includes('-----BEGIN CERTIFICATE-----'))
      throw field('body.tls.ca', 'a PEM certificate (-----BEGIN CERTIFICATE-----)');
    if (d.authType === 'none') return;
    const moved = stored && stored.url !== d.url;
    if (d.secret === undefined && (!stored?.sealed_secret || moved))
      throw field(
        `body.${d.authType === 'basic' ? 'password' : 'token'}`,
        moved
          ? 'enter it again: a stored credential is not sent to a new URL'
          : `${d.authType} auth needs it`,
      );
    if (d.authType === 'basic' && !d.username) throw field('body.username', 'basic auth needs a username');
  }

  private write(id: string, d: DatasourceInput, stored?: DatasourceRow) {
    const keep = d.authType !== 'none' && d.secret === undefined ? (stored?.sealed_secret ?? null) : null;
    const tls = {
      ...(stored && d.tls?.ca === undefined ? { ca: parsed<TlsSettings>(stored.tls).ca } : {}),
      ...d.tls,
    };
    return {
      name: d.name,
      kind: d.kind,
      url: d.url,
      authType: d.authType,
      username: d.authType === 'basic' ? (d.username ?? '') : '',
      sealedSecret: d.authType === 'none' ? null : d.secret !== undefined ? this.seal(id, d.secret) : keep,
      tls,
      labels: d.labels ?? {},
    };
  }

  async list() {
    return (await store.list(this.db)).map(datasourceView);
  }

  async get(id: string) {
    return datasourceView(await this.row(id));
  }

  async create(actor: string, d: DatasourceInput) {
    this.check(d);
    const id = randomUUID();
    const row = await store.insert(this.db, { id, ...this.write(id, d) });
    await this.audit(actor, 'datasource.create', `datasource:${row.id}`, undefined, {
      name: d.name,
      kind: d.kind,
      url: d.url,
    });
    return datasourceView(row);
  }

  async update(actor: string, id: string, d: DatasourceInput) {
    const before = await this.row(id);
    this.check(d, before);
    const row = (await store.update(this.db, id, this.write(id, d, before)))!;
    await this.audit(
      actor,
      'datasource.update',
      `datasource:${id}`,
      { name: before.name, url: before.url },
      { name: d.name, url: d.url },
    );
    return datasourceView(row);
  }

  async remove(actor: string, id: string) {
    const before = await this.row(id);
    await store.remove(this.db, id);
    await this.audit(actor, 'datasource.delete', `datasource:${id}`, { name: before.name });
  }

  /** A client for one data source, its credential opened for the call. */
  async client(id: string, kinds?: readonly Kind[]): Promise<PeerClient> {
    const r = await this.row(id);
    if (kinds && !kinds.includes(r.kind))
      throw badRequest(`data source ${r.name} is ${r.kind}: this needs ${kinds.join(' or ')}`);
    const endpoint: Endpoint = {
      kind: r.kind,
      url: r.url,
      authType: r.auth_type,
      username: r.username,
      secret: this.opened(r),
      tls: parsed<TlsSettings>(r.tls),
    };
    return new PeerClient(this.net, endpoint);
  }
}
