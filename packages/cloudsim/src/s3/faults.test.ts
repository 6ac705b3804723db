import { describe, expect, it } from 'vitest';
import { S3Faults } from './faults.ts';

describe('S3 simulator faults', () => {
  it('fails the next N matching requests, then none', () => {
    const f = new S3Faults();
    f.fail({ status: 503, times: 2, operations: ['PutObject'] });
    expect(['GetObject', 'PutObject', 'PutObject', 'PutObject'].map((op) => f.errorFor(op))).toEqual([
      undefined,
      503,
      503,
      undefined,
    ]);
  });

  it('fails a ratio of requests, spread evenly', () => {
    const f = new S3Faults();
    f.fail({ status: 500, ratio: 0.25 });
    const seen = Array.from({ length: 8 }, () => f.errorFor('UploadPart'));
    expect(seen).toEqual([undefined, undefined, undefined, 500, undefined, undefined, undefined, 500]);
  });

  it('cuts UploadPart bodies once by default, and delays as many times as told', () => {
    const f = new S3Faults();
    f.cut({ afterBytes: 10 });
    expect([f.cutFor('PutObject'), f.cutFor('UploadPart'), f.cutFor('UploadPart')]).toEqual([
      undefined,
      10,
      undefined,
    ]);
    f.cut({ afterBytes: 5, operations: ['PutObject'] });
    expect([f.cutFor('UploadPart'), f.cutFor('PutObject')]).toEqual([undefined, 5]);
    f.delay({ ms: 50, times: 2 });
    expect([f.delayFor('x'), f.delayFor('x'), f.delayFor('x')]).toEqual([50, 50, 0]);
    f.fail({ status: 500 });
    f.clear();
    expect(f.errorFor('x')).toBeUndefined();
  });
});
