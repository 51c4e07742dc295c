// Seeded PRNG (splitmix32) so every schedule replays from its seed.

export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  nextU32(): number {
    this.s = (this.s + 0x9e3779b9) >>> 0;
    let z = this.s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : this.nextU32() % n;
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  float(): number {
    return this.nextU32() / 0x1_0000_0000;
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Prng.pick: empty list");
    return items[this.int(items.length)]!;
  }
  /** An independent stream derived from this one (e.g. one per node's RaftConfig.random). */
  fork(): Prng {
    return new Prng(this.nextU32());
  }
}
