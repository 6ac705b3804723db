import { describe, expect, it } from 'vitest';
import { fingerprintOf } from './fingerprint.ts';

// A deliberately naive BigInt FNV-1a 64 over the same encoding, to check the split-halves
// arithmetic on inputs nobody wrote a vector for.
function referenceFingerprint(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  let hash = 0xcbf29ce484222325n;
  for (const name of names) {
    for (const byte of [...Buffer.from(name), 0xff, ...Buffer.from(labels[name]!), 0xff]) {
      hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
    }
  }
  return hash.toString(16).padStart(16, '0');
}

describe('fingerprintOf', () => {
  // Values Alertmanager would put in the webhook's `fingerprint` for these label sets.
  it.each([
    [{}, 'cbf29ce484222325'],
    [{ name: 'garland, briggs', fear: 'love is not enough' }, '507a62d79ee76c9a'],
    [{ 'first-label': 'first-label-value' }, '476b44f5db3e21f9'],
    [{ 'first-label': 'first-label-value', 'second-label': 'second-label-value' }, '2c59c33dd8453b1d'],
  ])('%j → %s, the fingerprint Alertmanager gives the same labels', (labels, expected) => {
    expect(fingerprintOf(labels)).toBe(expected);
  });

  it.each<Record<string, string>>([
    { alertname: 'DiskFull', instance: 'db-1:9100', severity: 'critical' },
    { 'k8s.io/app': 'web', emoji: '🔥 hot', ﬀ: 'x', 𝒜: 'astral name sorts after U+FB00 in UTF-8' },
    { long: 'v'.repeat(10_000), '': 'empty name' },
  ])('agrees with a plain 64-bit implementation for %j', (labels) => {
    expect(fingerprintOf(labels)).toBe(referenceFingerprint(labels));
  });

  it('ignores the order the labels were written in', () => {
    const forward = fingerprintOf({ alertname: 'HighCPU', instance: 'web-1', job: 'node' });
    const backward = fingerprintOf({ job: 'node', instance: 'web-1', alertname: 'HighCPU' });
    expect(backward).toBe(forward);
    expect(forward).toMatch(/^[0-9a-f]{16}$/);
  });

  const base = { alertname: 'HighCPU', instance: 'web-1' };
  it.each([
    ['a value changes', { alertname: 'HighCPU', instance: 'web-2' }],
    ['a name changes', { alertname: 'HighCPU', host: 'web-1' }],
    ['a label is added', { ...base, job: 'node' }],
    ['an empty label is added', { ...base, job: '' }],
    ['a label is removed', { alertname: 'HighCPU' }],
    ['a value changes case', { alertname: 'highcpu', instance: 'web-1' }],
  ])('changes when %s', (_what, labels) => {
    expect(fingerprintOf(labels)).not.toBe(fingerprintOf(base));
  });

  it.each([
    [{ a: 'b,c' }, { a: 'b', c: '' }],
    [{ a: 'b=c' }, { a: 'b', c: '' }],
    [{ ab: 'c' }, { a: 'bc' }],
    [{ a: '', b: '' }, { ab: '' }],
  ])('keeps %j and %j apart although their text runs together', (one, other) => {
    expect(fingerprintOf(one)).not.toBe(fingerprintOf(other));
  });
});
