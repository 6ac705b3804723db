/**
 * Alert identity. The hash is the one Alertmanager puts in its webhook `fingerprint` field (FNV-1a
 * 64 over the labels sorted by name, each name and value followed by the byte 0xff), so an alert
 * that reaches us both through Alertmanager and straight from vmalert or the generic endpoint
 * lands on the same row. 0xff never occurs in UTF-8, so no name/value split can be forged: the
 * encodings of {a: "b,c"} and {a: "b", c: ""} differ.
 */

const SEPARATOR = 0xff;

/** 16 lowercase hex characters, independent of the order the labels were written in. */
export function fingerprintOf(labels: Record<string, string>): string {
  // Go sorts label names by their UTF-8 bytes; JavaScript's default sort compares UTF-16 units,
  // which orders characters above U+FFFF differently.
  const names = Object.keys(labels).map((name) => ({ name, bytes: Buffer.from(name, 'utf8') }));
  names.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  const hash = new Fnv64a();
  for (const { name, bytes } of names) {
    hash.add(bytes);
    hash.add(Buffer.from(labels[name]!, 'utf8'));
  }
  return hash.hex();
}

/**
 * FNV-1a 64-bit kept as two 32-bit halves: BigInt arithmetic per byte measured about three times
 * slower, and every ingested alert without a fingerprint of its own is hashed.
 */
class Fnv64a {
  private hi = 0xcbf29ce4;
  private lo = 0x84222325;

  /** Adds the bytes, then the separator that ends a name or a value. */
  add(bytes: Uint8Array): void {
    for (const byte of bytes) this.step(byte);
    this.step(SEPARATOR);
  }

  hex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }

  // The 64-bit prime is 2^40 + 0x1b3: multiply both halves by 0x1b3, carry the low half's
  // overflow, and add the low half shifted left by 40 bits, which only reaches the high half.
  // Every intermediate stays below 2^53, so doubles hold it exactly.
  private step(byte: number): void {
    const lo = (this.lo ^ byte) >>> 0;
    const loProduct = lo * 0x1b3;
    const carry = Math.floor(loProduct / 0x1_0000_0000);
    this.lo = loProduct >>> 0;
    this.hi = (this.hi * 0x1b3 + carry + ((lo << 8) >>> 0)) >>> 0;
  }
}
