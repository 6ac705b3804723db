/**
 * Group commit: what arrives while earlier work is being stored waits, and is stored together
 * by the next free slot. At a trickle every request is stored alone at once; under load the
 * fixed cost of a transaction (its round trips, its commit's fsync) is shared by all the
 * requests that queued during the one before. Each request still gets its own answer.
 */
export class GroupCommit<T, R> {
  private readonly waiting: { item: T; resolve: (r: R) => void; reject: (err: unknown) => void }[] = [];
  private running = 0;

  constructor(
    /** Stores a group; settles one outcome per item, in order. */
    private readonly store: (items: T[]) => Promise<PromiseSettledResult<R>[]>,
    private readonly opts: {
      /** Groups stored at the same time. */
      slots: number;
      /** A group takes items while their total weight stays within this (at least one item). */
      maxWeight: number;
      weight: (item: T) => number;
    },
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.opts.slots && this.waiting.length) {
      let weight = this.opts.weight(this.waiting[0]!.item);
      let n = 1;
      while (n < this.waiting.length) {
        const w = this.opts.weight(this.waiting[n]!.item);
        if (weight + w > this.opts.maxWeight) break;
        weight += w;
        n += 1;
      }
      const group = this.waiting.splice(0, n);
      this.running += 1;
      this.store(group.map((g) => g.item))
        .then(
          (outcomes) =>
            group.forEach((g, i) => {
              const o = outcomes[i]!;
              if (o.status === 'fulfilled') g.resolve(o.value);
              else g.reject(o.reason);
            }),
          (err) => {
            for (const g of group) g.reject(err);
          },
        )
        .finally(() => {
          this.running -= 1;
          this.next();
        });
    }
  }
}
