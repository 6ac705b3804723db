/**
 * Structural checks of one mapping document, with the public exporter's rules. Each problem
 * names the file, the path and the fix.
 */
export const VENDORS = ['aliyun', 'tencent', 'aws', 'huawei'] as const;
export type Vendor = (typeof VENDORS)[number];

const TOP_KEYS = ['prefix', 'namespaces', 'canonical'];
const ENTRY_KEYS = ['description', ...VENDORS];
const VENDOR_KEYS = ['metric', 'unit', 'scale', 'dimensions'];

export interface MappingProblem {
  path: string;
  message: string;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

function unknownKeys(
  obj: Record<string, unknown>,
  allowed: string[],
  path: string,
  out: MappingProblem[],
): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key))
      out.push({
        path: path ? `${path}.${key}` : key,
        message: `unknown key "${key}" (allowed: ${allowed.join(', ')})`,
      });
  }
}

function validateVendor(v: unknown, path: string, out: MappingProblem[]): void {
  if (!isMap(v)) {
    out.push({ path, message: 'must be a map with metric, unit, scale, dimensions' });
    return;
  }
  unknownKeys(v, VENDOR_KEYS, path, out);
  for (const key of ['metric', 'unit'] as const) {
    if (key in v && (typeof v[key] !== 'string' || (v[key] as string).trim() === '')) {
      out.push({ path: `${path}.${key}`, message: `must be a non-empty string` });
    }
  }
  if ('scale' in v && v.scale !== null) {
    const n = typeof v.scale === 'number' ? v.scale : Number(v.scale);
    if (!isScalar(v.scale) || typeof v.scale === 'boolean' || !Number.isFinite(n)) {
      out.push({ path: `${path}.scale`, message: `must be a number, got ${JSON.stringify(v.scale)}` });
    }
  }
  if ('dimensions' in v && v.dimensions !== null) {
    if (!Array.isArray(v.dimensions) || v.dimensions.some((d) => typeof d !== 'string' || d.trim() === '')) {
      out.push({ path: `${path}.dimensions`, message: 'must be a list of non-empty strings' });
    }
  }
}

export function validateMappingDocument(doc: unknown): MappingProblem[] {
  const out: MappingProblem[] = [];
  if (!isMap(doc))
    return [{ path: '(root)', message: 'must be a map with prefix, namespaces and canonical' }];
  unknownKeys(doc, TOP_KEYS, '', out);
  if (!isScalar(doc.prefix) || String(doc.prefix).trim() === '')
    out.push({ path: 'prefix', message: 'must be a non-empty string such as clb' });
  if ('namespaces' in doc && doc.namespaces !== null) {
    if (!isMap(doc.namespaces))
      out.push({ path: 'namespaces', message: 'must be a map of vendor → namespace' });
    else {
      for (const [vendor, ns] of Object.entries(doc.namespaces)) {
        if (!(VENDORS as readonly string[]).includes(vendor)) {
          out.push({
            path: `namespaces.${vendor}`,
            message: `unknown vendor "${vendor}": supported vendors are ${VENDORS.join(', ')}`,
          });
        } else if (typeof ns !== 'string' || ns.trim() === '') {
          out.push({ path: `namespaces.${vendor}`, message: 'must be a non-empty namespace string' });
        }
      }
    }
  }
  if ('canonical' in doc && doc.canonical !== null) {
    if (!isMap(doc.canonical))
      out.push({ path: 'canonical', message: 'must be a map of canonical name → entry' });
    else {
      for (const [name, entry] of Object.entries(doc.canonical)) {
        const path = `canonical.${name}`;
        if (!isMap(entry)) {
          out.push({ path, message: 'must be a map with description and vendor entries' });
          continue;
        }
        if ('dimensions' in entry) {
          out.push({
            path: `${path}.dimensions`,
            message: 'dimensions belong under a vendor (e.g. aliyun.dimensions), not at the entry root',
          });
        }
        unknownKeys(
          Object.fromEntries(Object.entries(entry).filter(([k]) => k !== 'dimensions')),
          ENTRY_KEYS,
          path,
          out,
        );
        for (const vendor of VENDORS)
          if (vendor in entry) validateVendor(entry[vendor], `${path}.${vendor}`, out);
      }
    }
  }
  return out;
}
