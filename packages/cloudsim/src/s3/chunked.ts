import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { S3Error, signatureMismatch } from './errors.ts';

const EMPTY_SHA256 = createHash('sha256').digest('hex');
const MAX_LINE = 4096;

/** What signed chunks chain from: the request's signing key, scope and header signature (the seed). */
export interface ChunkSigning {
  key: Buffer;
  amzDate: string;
  scope: string;
  seed: string;
}

type Phase = 'header' | 'data' | 'data-end' | 'trailer' | 'done';

const sameHex = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Decodes an `aws-chunked` body as it arrives: `<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n`
 * repeated, a zero-size chunk, then optional trailer lines and an empty line. With `signing`,
 * every chunk signature is checked against the previous one (STREAMING-AWS4-HMAC-SHA256-PAYLOAD),
 * and a signed trailer's `x-amz-trailer-signature` too.
 */
export class ChunkedDecoder {
  private phase: Phase = 'header';
  private line = '';
  private remaining = 0;
  private chunkHash = createHash('sha256');
  private chunkSignature = '';
  private previous: string;
  private endBytes = 0;
  readonly trailers: Record<string, string> = {};
  private readonly trailerLines: string[] = [];
  decodedLength = 0;
  /** Whether a signed trailer carried its `x-amz-trailer-signature` (STREAMING-…-PAYLOAD-TRAILER). */
  trailerSigned = false;

  constructor(private readonly signing?: ChunkSigning) {
    this.previous = signing?.seed ?? '';
  }

  /** Feeds raw body bytes; returns the decoded payload bytes they carried. */
  push(buf: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < buf.length) {
      switch (this.phase) {
        case 'header':
        case 'trailer': {
          const nl = buf.indexOf(10, i);
          const end = nl === -1 ? buf.length : nl + 1;
          this.line += buf.toString('latin1', i, end);
          i = end;
          if (this.line.length > MAX_LINE) throw malformed('chunk header line too long');
          if (nl !== -1) {
            const line = this.line.replace(/\r?\n$/, '');
            this.line = '';
            if (this.phase === 'header') this.startChunk(line);
            else this.trailerLine(line);
          }
          break;
        }
        case 'data': {
          const n = Math.min(this.remaining, buf.length - i);
          const piece = buf.subarray(i, i + n);
          if (this.signing) this.chunkHash.update(piece);
          out.push(piece);
          this.decodedLength += n;
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) {
            this.phase = 'data-end';
            this.endBytes = 0;
          }
          break;
        }
        case 'data-end': {
          const expected = this.endBytes === 0 ? 13 : 10;
          if (buf[i] !== expected) throw malformed('chunk data is not followed by CRLF');
          i++;
          if (++this.endBytes === 2) {
            this.verifyChunk();
            this.phase = 'header';
          }
          break;
        }
        case 'done':
          if (buf.subarray(i).some((b) => b !== 13 && b !== 10)) throw malformed('data after the last chunk');
          i = buf.length;
          break;
      }
    }
    return out;
  }

  /** Called at the end of the body: throws unless the final chunk and trailers were complete. */
  end(): void {
    if (this.phase !== 'done') {
      throw new S3Error(400, 'IncompleteBody', 'The request body terminated unexpectedly');
    }
  }

  private startChunk(line: string) {
    const m = /^([0-9a-fA-F]+)(?:;chunk-signature=([0-9a-f]{64}))?$/.exec(line);
    if (!m) throw malformed(`bad chunk header "${line.slice(0, 80)}"`);
    if (this.signing && !m[2]) throw signatureMismatch();
    this.remaining = Number.parseInt(m[1]!, 16);
    this.chunkSignature = m[2] ?? '';
    this.chunkHash = createHash('sha256');
    if (this.remaining > 0) {
      this.phase = 'data';
      return;
    }
    this.verifyChunk();
    this.phase = 'trailer';
  }

  private verifyChunk() {
    if (!this.signing) return;
    const { key, amzDate, scope } = this.signing;
    const toSign = [
      'AWS4-HMAC-SHA256-PAYLOAD',
      amzDate,
      scope,
      this.previous,
      EMPTY_SHA256,
      this.chunkHash.digest('hex'),
    ].join('\n');
    const expected = createHmac('sha256', key).update(toSign).digest('hex');
    if (!sameHex(expected, this.chunkSignature)) throw signatureMismatch();
    this.previous = expected;
  }

  private trailerLine(line: string) {
    if (line === '') {
      this.phase = 'done';
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed(`bad trailer "${line.slice(0, 80)}"`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') {
      this.verifyTrailer(value);
      return;
    }
    this.trailers[name] = value;
    this.trailerLines.push(`${name}:${value}\n`);
  }

  private verifyTrailer(signature: string) {
    if (!this.signing) return;
    const { key, amzDate, scope } = this.signing;
    const hash = createHash('sha256').update(this.trailerLines.join('')).digest('hex');
    const toSign = ['AWS4-HMAC-SHA256-TRAILER', amzDate, scope, this.previous, hash].join('\n');
    const expected = createHmac('sha256', key).update(toSign).digest('hex');
    if (!sameHex(expected, signature)) throw signatureMismatch();
    this.trailerSigned = true;
  }
}

const malformed = (why: string) => new S3Error(400, 'InvalidRequest', `Malformed aws-chunked body: ${why}`);
