/**
 * A map bounded to `capacity` keys, least recently set out first: what an instance remembers of
 * accounts and teams after its own writes (docs/architecture.md §9), never more than a budget.
 */
export class RecentMap<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) {
      // A Map iterates in insertion order: the first key is the least recently set.
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}
