import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** SHA-256 / HMAC for the SDK's own SigV4 signer, so tests sign with code that is not the simulator's. */
class Sha256 {
  private readonly h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key =
      secret === undefined || typeof secret === 'string'
        ? secret
        : secret instanceof ArrayBuffer
          ? Buffer.from(secret)
          : Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength);
    this.h = key === undefined ? createHash('sha256') : createHmac('sha256', key);
  }
  update(d: string | ArrayBuffer | ArrayBufferView) {
    this.h.update(
      typeof d === 'string'
        ? d
        : d instanceof ArrayBuffer
          ? Buffer.from(d)
          : Buffer.from(d.buffer, d.byteOffset, d.byteLength),
    );
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}

export const sdkSigner = (accessKeyId: string, secretAccessKey: string) =>
  new SignatureV4({
    service: 's3',
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey },
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
