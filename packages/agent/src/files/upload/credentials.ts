import { readFile } from 'node:fs/promises';
import type { S3Destination } from '../spec.ts';
import { UploadError } from './errors.ts';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Where they came from, for error messages: never the values. */
  origin: string;
}

/**
 * An AWS shared-credentials file: `[name]` (or the config file's `[profile name]`) sections of
 * `key = value` lines, `#` and `;` comments. Indented lines belong to a nested setting the
 * credentials never use, and are skipped.
 */
export function parseCredentialsFile(text: string): Map<string, Map<string, string>> {
  const profiles = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s/.test(raw) && current) continue;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (section) {
      current = profiles.get(section[1]!) ?? new Map();
      profiles.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0 && current) current.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return profiles;
}

const refuse = (message: string) => new UploadError('Credentials', message, false);

/**
 * The destination's credentials, read now: from the environment, or from the file at every call
 * so a rotated key is used by the next upload without a restart. Errors name the variable or the
 * file, profile and field, never a value.
 */
export async function resolveCredentials(
  spec: S3Destination['credentials'],
  env: NodeJS.ProcessEnv = process.env,
): Promise<S3Credentials> {
  if (spec.from === 'env') {
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    const missing = [!accessKeyId && 'AWS_ACCESS_KEY_ID', !secretAccessKey && 'AWS_SECRET_ACCESS_KEY'].filter(
      Boolean,
    );
    if (missing.length)
      throw refuse(
        `credentials from the environment: ${missing.join(' and ')} not set in the agent's environment`,
      );
    return {
      accessKeyId: accessKeyId!,
      secretAccessKey: secretAccessKey!,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
      origin: 'environment AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY',
    };
  }
  let text: string;
  try {
    text = await readFile(spec.file, 'utf8');
  } catch (err) {
    throw refuse(
      `credentials file ${spec.file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const origin = `credentials file ${spec.file} profile [${spec.profile}]`;
  const profile = parseCredentialsFile(text).get(spec.profile);
  if (!profile) throw refuse(`${origin}: no such profile in the file`);
  const accessKeyId = profile.get('aws_access_key_id');
  const secretAccessKey = profile.get('aws_secret_access_key');
  if (!accessKeyId) throw refuse(`${origin}: aws_access_key_id is missing or empty`);
  if (!secretAccessKey) throw refuse(`${origin}: aws_secret_access_key is missing or empty`);
  return {
    accessKeyId,
    secretAccessKey,
    sessionToken: profile.get('aws_session_token') || undefined,
    origin,
  };
}
