import { z } from 'zod';
import type { Account, CloudName } from '../providers/provider.ts';

/**
 * accounts.yaml: `accounts: {<provider>: [{account_id, access_key_id, access_key_secret,
 * regions, resources}]}` as the public exporter reads it, plus opsfleet's optional `endpoint`.
 */
export const CLOUDS: CloudName[] = ['aliyun', 'tencent', 'huawei', 'aws'];

const stringList = z
  .array(z.union([z.string(), z.number()]).transform(String), {
    error: 'must be a list, e.g. ["cn-hangzhou"] or ["*"]',
  })
  .nullish()
  .transform((v) => (v ?? []).map((s) => s.trim()).filter((s) => s !== ''));

const rawAccount = z.strictObject({
  /** Optional, as the public exporter's entries carry it; the list the entry is under decides. */
  provider: z.string().optional(),
  account_id: z
    .union([z.string(), z.number()])
    .nullish()
    .transform((v) => (v == null ? '' : String(v))),
  access_key_id: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  access_key_secret: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  regions: stringList,
  resources: stringList,
  endpoint: z.url({ error: 'must be a URL such as http://127.0.0.1:9000' }).optional(),
});

export const accountsFileSchema = z.object({
  accounts: z
    .object(
      Object.fromEntries(CLOUDS.map((c) => [c, z.array(rawAccount).nullish()])) as Record<
        CloudName,
        z.ZodOptional<z.ZodNullable<z.ZodArray<typeof rawAccount>>>
      >,
    )
    .catchall(z.custom<never>(() => false, { error: `unknown provider: use one of ${CLOUDS.join(', ')}` }))
    .nullish()
    .transform(
      (v) => (v ?? {}) as Partial<Record<CloudName, z.output<typeof rawAccount>[] | null | undefined>>,
    ),
});

export type AccountsFile = z.output<typeof accountsFileSchema>;

/** What each provider accepts in `resources`. */
export interface ResourceVocabulary {
  aliases: Record<string, string>;
  defaults: string[];
}

export interface AccountsResult {
  accounts: Account[];
  problems: { path: string; message: string }[];
  warnings: string[];
}

/**
 * Checks the parts zod cannot know (credentials present, resources known to the provider)
 * and normalises: `regions: []` means `["*"]` (all regions, as the public exporter's README
 * promised but its validator refused), `resources: []` or `["*"]` means the provider's
 * default set, aliases resolve to canonical keys. An entry whose id and both keys are all
 * empty is a template placeholder (the shipped accounts.yaml has them) and is skipped with a
 * warning instead of failing the whole file.
 */
export function normaliseAccounts(
  file: AccountsFile,
  vocab: Partial<Record<CloudName, ResourceVocabulary>>,
): AccountsResult {
  const out: AccountsResult = { accounts: [], problems: [], warnings: [] };
  for (const cloud of CLOUDS) {
    (file.accounts[cloud] ?? []).forEach((raw, i) => {
      const path = `accounts.${cloud}[${i}]`;
      if (!raw.account_id && !raw.access_key_id && !raw.access_key_secret) {
        out.warnings.push(
          `${path}: skipped: account_id, access_key_id and access_key_secret are all empty (a template entry)`,
        );
        return;
      }
      let ok = true;
      if (raw.provider !== undefined && raw.provider.toLowerCase() !== cloud) {
        out.problems.push({
          path: `${path}.provider`,
          message: `is "${raw.provider}" but the entry is listed under accounts.${cloud}: move it under accounts.${raw.provider}, or remove provider`,
        });
        ok = false;
      }
      for (const field of ['account_id', 'access_key_id', 'access_key_secret'] as const) {
        if (!raw[field]) {
          out.problems.push({
            path: `${path}.${field}`,
            message: `${cloud}: account[${i}].${field} is required`,
          });
          ok = false;
        }
      }
      const v = vocab[cloud];
      if (!v) {
        out.warnings.push(`${path}: skipped: the ${cloud} provider is not available in this version`);
        return;
      }
      const wanted = raw.resources.length === 0 || raw.resources.includes('*') ? v.defaults : raw.resources;
      const resources: string[] = [];
      wanted.forEach((name, j) => {
        const key = v.aliases[name.toLowerCase()];
        if (!key) {
          out.problems.push({
            path: `${path}.resources[${j}]`,
            message: `unknown ${cloud} resource "${name}": use one of ${Object.keys(v.aliases).sort().join(', ')}`,
          });
          ok = false;
        } else if (!resources.includes(key)) resources.push(key);
      });
      if (!ok) return;
      out.accounts.push({
        provider: cloud,
        account_id: raw.account_id,
        access_key_id: raw.access_key_id,
        access_key_secret: raw.access_key_secret,
        regions: raw.regions.length === 0 ? ['*'] : raw.regions,
        resources,
        ...(raw.endpoint ? { endpoint: raw.endpoint } : {}),
      });
    });
  }
  const ids = new Map<string, string>();
  for (const a of out.accounts) {
    const key = `${a.provider}|${a.account_id}`;
    if (ids.has(key))
      out.problems.push({
        path: `accounts.${a.provider}`,
        message: `account_id "${a.account_id}" appears twice: account ids must be unique per provider`,
      });
    ids.set(key, key);
  }
  return out;
}
