import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CommandError } from '../handler.ts';

/** A download larger than this is stopped: an artifact is a package, not a disk image. */
export const MAX_ARTIFACT_BYTES = 2 * 1024 ** 3;

export interface Artifact {
  url: string;
  sha256: string;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * The artifact in `dir`, named after its checksum: downloaded (streamed to disk, at most
 * `maxBytes`) unless a file with that checksum is already there. A download whose SHA-256 is not
 * the one asked for is deleted and fails the command: nothing runs with it.
 */
export async function fetchArtifact(
  a: Artifact,
  dir: string,
  signal: AbortSignal,
  print: (line: string) => void,
  maxBytes = MAX_ARTIFACT_BYTES,
): Promise<string> {
  const want = a.sha256.toLowerCase();
  const file = join(dir, want);
  if (existsSync(file) && (await sha256Of(file)) === want) {
    print(`artifact ${want.slice(0, 12)} already downloaded: ${file}`);
    return file;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const part = `${file}.part`;
  print(`downloading ${redacted(a.url)}`);
  const started = Date.now();
  try {
    const res = await fetch(a.url, { signal, redirect: 'follow' });
    if (!res.ok || !res.body)
      throw new CommandError(`artifact.url: the download answered HTTP ${res.status} (${redacted(a.url)})`);
    const length = Number(res.headers.get('content-length') ?? Number.NaN);
    if (length > maxBytes)
      throw new CommandError(
        `artifact.url: the artifact is ${length} bytes, more than the ${maxBytes} allowed`,
      );
    const hash = createHash('sha256');
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > maxBytes)
          return done(new CommandError(`artifact.url: the download passed the ${maxBytes} bytes allowed`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      count,
      createWriteStream(part, { mode: 0o600 }),
      { signal },
    );
    const got = hash.digest('hex');
    if (got !== want)
      throw new CommandError(
        `artifact.sha256: the download's SHA-256 is ${got}, the version says ${want}; nothing was run`,
      );
    renameSync(part, file);
    print(`downloaded ${size} bytes in ${Date.now() - started} ms, SHA-256 ${want} checked`);
    return file;
  } catch (err) {
    rmSync(part, { force: true });
    if (err instanceof CommandError || signal.aborted) throw err;
    throw new CommandError(`artifact.url: the download failed: ${(err as Error).message}`);
  }
}

/** The URL as it may be shown: a user, password or query (a signed URL's token) left out. */
export function redacted(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(an invalid URL)';
  }
}
