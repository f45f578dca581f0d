/** Time comes from here, never from Date directly, so tests can move it without sleeping. */
export interface Clock {
  now(): string;
}

export const systemClock: Clock = { now: () => new Date().toISOString() };

/** A clock tests set and advance by hand. */
export class ManualClock implements Clock {
  private ms: number;
  constructor(start = '2026-11-01T09:00:00.000Z') {
    this.ms = Date.parse(start);
  }
  now(): string {
    return new Date(this.ms).toISOString();
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const plusMs = (iso: string, ms: number): string =>
  new Date(Date.parse(iso) + ms).toISOString();
/** The end of the UTC day `iso` falls in (the next midnight). */
export const endOfUtcDay = (iso: string): string =>
  `${new Date(Date.parse(iso) + DAY).toISOString().slice(0, 10)}T00:00:00.000Z`;
