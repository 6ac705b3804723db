/**
 * A PostgreSQL array literal for one query parameter (`${pgArray(ids)}::uuid[]`). The query
 * builder expands a JS array into a parameter list, which `unnest` cannot take; a literal
 * passes as one text parameter on both drivers.
 */
export function pgArray(values: readonly (string | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`)).join(',')}}`;
}
