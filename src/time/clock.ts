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

/**
 * The system clock plus an offset that only grows: for demonstrations (DEMO_CLOCK=on), an admin moves time
 * forward so that a 7-day notice can end in a training session. Never used in production.
 */
export class DemoClock implements Clock {
  private offsetMs = 0;
  constructor(private readonly base: Clock = systemClock) {}
  now(): Date {
    return new Date(this.base.now().getTime() + this.offsetMs);
  }
  advance(ms: number): Date {
    if (!(ms > 0)) throw new RangeError('the demo clock only moves forward');
    this.offsetMs += ms;
    return this.now();
  }
}
