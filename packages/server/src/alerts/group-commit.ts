/**
 * Group commit: what arrives while earlier work is being stored waits, and is stored together
 * by the next free slot. At a trickle every request is stored alone at once; under load the
 * fixed cost of a transaction (its round trips, its commit's fsync) is shared by all the
 * requests that queued during the one before. Each request still gets its own answer.
 *
 * Groups that share a key (an alert) are never stored at the same time: an item whose keys a
 * group being stored holds waits for it, and so do the items behind it. So items that touch the
 * same thing are stored in the order they were submitted, and concurrent groups never wait on
 * each other's locks in the database.
 */
export class GroupCommit<T, R> {
  private readonly waiting: { item: T; resolve: (r: R) => void; reject: (err: unknown) => void }[] = [];
  /** The keys of each group being stored. */
  private readonly running = new Set<Set<string>>();

  constructor(
    /** Stores a group; settles one outcome per item, in order. */
    private readonly store: (items: T[]) => Promise<PromiseSettledResult<R>[]>,
    private readonly opts: {
      /** Groups stored at the same time. */
      slots: number;
      /** A group takes items while their total weight stays within this (at least one item). */
      maxWeight: number;
      weight: (item: T) => number;
      /** What an item touches; items sharing a key are stored one after the other. */
      keys?: (item: T) => Iterable<string>;
    },
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.next();
    });
  }

  private busy(keys: Iterable<string>): boolean {
    for (const k of keys) for (const group of this.running) if (group.has(k)) return true;
    return false;
  }

  private next(): void {
    const keysOf = this.opts.keys ?? (() => []);
    while (this.running.size < this.opts.slots && this.waiting.length) {
      if (this.busy(keysOf(this.waiting[0]!.item))) return;
      const keys = new Set(keysOf(this.waiting[0]!.item));
      let weight = this.opts.weight(this.waiting[0]!.item);
      let n = 1;
      while (n < this.waiting.length) {
        const item = this.waiting[n]!.item;
        const w = this.opts.weight(item);
        if (weight + w > this.opts.maxWeight || this.busy(keysOf(item))) break;
        for (const k of keysOf(item)) keys.add(k);
        weight += w;
        n += 1;
      }
      const group = this.waiting.splice(0, n);
      this.running.add(keys);
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
          this.running.delete(keys);
          this.next();
        });
    }
  }
}
