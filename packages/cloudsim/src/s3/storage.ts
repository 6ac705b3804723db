import { createReadStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Object and part bytes. An object made by CompleteMultipartUpload is its parts' segments in
 * order, so completing never copies bytes. On disk each segment is one file written as the body
 * arrives: a multi-GB object never sits in memory.
 */
export type Segment =
  | { kind: 'memory'; chunks: Buffer[]; size: number }
  | { kind: 'file'; path: string; size: number };

export interface Blob {
  segments: Segment[];
  size: number;
}

export interface BlobWriter {
  write(data: Buffer): Promise<void>;
  finish(): Promise<Blob>;
  discard(): Promise<void>;
}

export interface Storage {
  writer(): Promise<BlobWriter>;
  free(blob: Blob): Promise<void>;
}

export function memoryStorage(): Storage {
  return {
    async writer() {
      const seg: Segment = { kind: 'memory', chunks: [], size: 0 };
      return {
        async write(data) {
          seg.chunks.push(data);
          seg.size += data.length;
        },
        async finish() {
          return { segments: [seg], size: seg.size };
        },
        async discard() {
          seg.chunks = [];
        },
      };
    },
    async free(blob) {
      for (const s of blob.segments) if (s.kind === 'memory') s.chunks = [];
    },
  };
}

let fileCounter = 0;

export function diskStorage(dir: string): Storage {
  const ready = mkdir(dir, { recursive: true });
  return {
    async writer() {
      await ready;
      const path = join(dir, `${process.pid}-${Date.now()}-${++fileCounter}.part`);
      const fh = await open(path, 'w');
      let size = 0;
      let closed = false;
      const close = async () => {
        if (!closed) {
          closed = true;
          await fh.close();
        }
      };
      return {
        async write(data) {
          let off = 0;
          while (off < data.length) off += (await fh.write(data, off)).bytesWritten;
          size += data.length;
        },
        async finish() {
          await close();
          return { segments: [{ kind: 'file', path, size }], size };
        },
        async discard() {
          await close();
          await rm(path, { force: true });
        },
      };
    },
    async free(blob) {
      for (const s of blob.segments) if (s.kind === 'file') await rm(s.path, { force: true });
    },
  };
}

/** The bytes `start..end` (inclusive) of a blob, segment by segment. */
export async function* readRange(blob: Blob, start: number, end: number): AsyncGenerator<Buffer> {
  let base = 0;
  for (const seg of blob.segments) {
    const segStart = base;
    base += seg.size;
    if (base <= start || segStart > end) continue;
    const from = Math.max(start, segStart) - segStart;
    const to = Math.min(end, base - 1) - segStart;
    if (seg.kind === 'file') {
      yield* createReadStream(seg.path, { start: from, end: to, highWaterMark: 1 << 20 });
      continue;
    }
    let off = 0;
    for (const c of seg.chunks) {
      const cs = off;
      off += c.length;
      if (off <= from || cs > to) continue;
      yield c.subarray(Math.max(from, cs) - cs, Math.min(to, off - 1) - cs + 1);
    }
  }
}
