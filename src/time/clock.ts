// The clock is injected everywhere: production reads the system time, tests advance a manual clock
// instead of sleeping.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  private t: number;
  constructor(start: Date | string = '2026-03-02T01:00:00Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  set(at: Date | string): void {
    this.t = new Date(at).getTime();
  }
  advance(ms: number): Date {
    this.t += ms;
    return this.now();
  }
  advanceHours(h: number): Date {
    return this.advance(h * 3600_000);
  }
  advanceDays(d: number): Date {
    return this.advance(d * 86_400_000);
  }
}
