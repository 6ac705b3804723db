/**
 * Faults a test injects into one S3 simulator: answers delayed, answered with 500 InternalError
 * or 503 SlowDown (for the next N requests or a share of them), or an UploadPart whose
 * connection is cut after N bytes of its body.
 */
export interface ErrorFault {
  status: 500 | 503;
  /** The next N matching requests fail… */
  times?: number;
  /** …or this share of them (0..1), spread evenly and deterministically. */
  ratio?: number;
  /** Only these operations (e.g. `UploadPart`); all when absent. */
  operations?: string[];
}

export interface CutFault {
  afterBytes: number;
  times?: number;
  operations?: string[];
}

export interface DelayFault {
  ms: number;
  times?: number;
  operations?: string[];
}

const matches = (ops: string[] | undefined, op: string) => !ops || ops.includes(op);

export class S3Faults {
  private errors: (ErrorFault & { seen: number })[] = [];
  private cuts: CutFault[] = [];
  private delays: DelayFault[] = [];

  fail(f: ErrorFault): void {
    this.errors.push({ ...f, seen: 0 });
  }
  /** The connection of an UploadPart (or, with `operations`, a PutObject) is destroyed mid-body. */
  cut(f: CutFault): void {
    this.cuts.push({ operations: ['UploadPart'], ...f });
  }
  delay(f: DelayFault): void {
    this.delays.push(f);
  }
  clear(): void {
    this.errors = [];
    this.cuts = [];
    this.delays = [];
  }

  /** The delay for this request, consuming one use of the fault (no `times`: every request). */
  delayFor(op: string): number {
    const d = this.delays.find((x) => matches(x.operations, op));
    if (!d) return 0;
    use(this.delays, d);
    return d.ms;
  }

  /** No `times` and no `ratio`: every matching request fails until `clear()`. */
  errorFor(op: string): 500 | 503 | undefined {
    for (const e of this.errors) {
      if (!matches(e.operations, op)) continue;
      if (e.ratio === undefined) {
        use(this.errors, e);
        return e.status;
      }
      const n = e.seen++;
      if (Math.floor((n + 1) * e.ratio) > Math.floor(n * e.ratio)) return e.status;
    }
    return undefined;
  }

  /** Bytes of body to accept before cutting the connection; a cut fault defaults to once. */
  cutFor(op: string): number | undefined {
    const c = this.cuts.find((x) => matches(x.operations, op));
    if (!c) return undefined;
    use(this.cuts, { ...c, times: c.times ?? 1 }, c);
    return c.afterBytes;
  }
}

function use<T extends { times?: number }>(list: T[], f: T, stored: T = f) {
  if (f.times === undefined) return;
  const left = f.times - 1;
  if (left <= 0) list.splice(list.indexOf(stored), 1);
  else stored.times = left;
}
