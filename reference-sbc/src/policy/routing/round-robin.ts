/**
 * Hands out items in rotation (IN-04). Health checks will later skip servers that are down; the
 * rotation then simply moves past them.
 */
export class RoundRobin<T> {
  private readonly items: readonly T[];
  private next = 0;

  constructor(items: readonly T[]) {
    if (items.length === 0) throw new Error('round robin needs at least one item');
    this.items = items;
  }

  /** The next item whose `usable` check passes, or undefined when none does. */
  pick(usable: (item: T) => boolean = () => true): T | undefined {
    for (let i = 0; i < this.items.length; i++) {
      const item = this.items[(this.next + i) % this.items.length];
      if (item !== undefined && usable(item)) {
        this.next = (this.next + i + 1) % this.items.length;
        return item;
      }
    }
    return undefined;
  }
}
