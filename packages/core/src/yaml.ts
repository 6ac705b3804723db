import { parseDocument, stringify } from 'yaml';
import { ConfigError, type ConfigProblem } from './config.ts';

/**
 * The one way opsfleet reads YAML. Files it parses can come from operators, a hot-reloaded
 * folder or an API call, so a few kilobytes of nested aliases (a "billion laughs") must not
 * expand into gigabytes, and a runaway file must not be read whole into a parse tree.
 */
export interface YamlLimits {
  /** Nodes an alias may expand to (the `yaml` package's `maxAliasCount`); -1 is never used here. */
  maxAliasCount?: number;
  /** Size of the text, in bytes. */
  maxBytes?: number;
}

export const YAML_LIMITS: Required<YamlLimits> = { maxAliasCount: 100, maxBytes: 4 * 1024 * 1024 };

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** The value of a YAML document, or every problem found in it (syntax, size, alias expansion). */
export function readYaml(
  text: string,
  limits: YamlLimits = {},
): { ok: true; value: unknown } | { ok: false; problems: ConfigProblem[] } {
  const { maxAliasCount, maxBytes } = { ...YAML_LIMITS, ...limits };
  const size = Buffer.byteLength(text, 'utf8');
  if (size > maxBytes)
    return {
      ok: false,
      problems: [
        {
          path: '(file)',
          message: `is ${mb(size)}, over the ${mb(maxBytes)} limit for a YAML file; split it or remove what is not needed`,
        },
      ],
    };
  const doc = parseDocument(text);
  if (doc.errors.length)
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '(yaml)',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
      })),
    };
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount }) };
  } catch (err) {
    // The yaml package throws a ReferenceError when aliases expand past maxAliasCount.
    if (!(err instanceof ReferenceError)) throw err;
    return {
      ok: false,
      problems: [
        {
          path: '(yaml)',
          message: `aliases (*name) expand to more than ${maxAliasCount} nodes, which looks like an alias bomb; write the values out instead of repeating aliases`,
        },
      ],
    };
  }
}

/** `readYaml` for callers that stop at the first bad file: throws a ConfigError labelled `label`. */
export function parseYaml(text: string, label = 'yaml', limits: YamlLimits = {}): unknown {
  const r = readYaml(text, limits);
  if (!r.ok) throw new ConfigError(label, r.problems);
  return r.value;
}

/**
 * YAML for files other programs read (rule files, configurations): block style, no anchors or
 * aliases, long strings never folded, so the output diffs line by line.
 */
export function writeYaml(value: unknown): string {
  return stringify(value, { aliasDuplicateObjects: false, lineWidth: 0 });
}
