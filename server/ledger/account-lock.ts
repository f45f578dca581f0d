/**
 * In-process mutual exclusion per account. The database row lock (`select … for update`)
 * serialises writers across API instances; this one also serialises a process's own readers
 * and writers around its cached fold, which the database lock cannot see.
 */
export class AccountLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(accountId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(accountId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(accountId, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(accountId) === tail) this.tails.delete(accountId);
    }
  }
}
