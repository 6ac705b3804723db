import { sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';

type Tx = Pick<Db, 'execute'>;

export const KINDS = ['prometheus', 'victoriametrics', 'alertmanager'] as const;
export type Kind = (typeof KINDS)[number];
export const AUTH_TYPES = ['none', 'basic', 'bearer'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

export interface TlsSettings {
  /** PEM of the CA that signs the endpoint's certificate, when not a public one. */
  ca?: string;
  insecureSkipVerify?: boolean;
  serverName?: string;
}

export interface DatasourceRow {
  id: string;
  name: string;
  kind: Kind;
  url: string;
  auth_type: AuthType;
  username: string;
  sealed_secret: string | null;
  tls: unknown;
  labels: unknown;
  created_at: string | Date;
  updated_at: string | Date;
}

export interface DatasourceWrite {
  name: string;
  kind: Kind;
  url: string;
  authType: AuthType;
  username: string;
  sealedSecret: string | null;
  tls: TlsSettings;
  labels: Record<string, string>;
}

const COLUMNS = sql`id, name, kind, url, auth_type, username, sealed_secret, tls, labels, created_at, updated_at`;

export const datasourceStore = {
  async list(db: Tx): Promise<DatasourceRow[]> {
    return rowsOf(await db.execute(sql`SELECT ${COLUMNS} FROM datasources ORDER BY name`));
  },

  async get(db: Tx, id: string): Promise<DatasourceRow | undefined> {
    return rowsOf<DatasourceRow>(
      await db.execute(sql`SELECT ${COLUMNS} FROM datasources WHERE id = ${id}::uuid`),
    )[0];
  },

  /** The id is the caller's: the sealed credential is bound to it. */
  async insert(db: Tx, d: DatasourceWrite & { id: string }): Promise<DatasourceRow> {
    return rowsOf<DatasourceRow>(
      await db.execute(sql`
        INSERT INTO datasources (id, name, kind, url, auth_type, username, sealed_secret, tls, labels)
        VALUES (${d.id}::uuid, ${d.name}, ${d.kind}, ${d.url}, ${d.authType}, ${d.username}, ${d.sealedSecret},
          ${JSON.stringify(d.tls)}::jsonb, ${JSON.stringify(d.labels)}::jsonb)
        RETURNING ${COLUMNS}`),
    )[0]!;
  },

  async update(db: Tx, id: string, d: DatasourceWrite): Promise<DatasourceRow | undefined> {
    return rowsOf<DatasourceRow>(
      await db.execute(sql`
        UPDATE datasources SET name = ${d.name}, kind = ${d.kind}, url = ${d.url}, auth_type = ${d.authType},
          username = ${d.username}, sealed_secret = ${d.sealedSecret}, tls = ${JSON.stringify(d.tls)}::jsonb,
          labels = ${JSON.stringify(d.labels)}::jsonb, updated_at = now()
        WHERE id = ${id}::uuid RETURNING ${COLUMNS}`),
    )[0];
  },

  async remove(db: Tx, id: string): Promise<boolean> {
    return (
      rowsOf(await db.execute(sql`DELETE FROM datasources WHERE id = ${id}::uuid RETURNING id`)).length > 0
    );
  },
};
