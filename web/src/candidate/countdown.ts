// Time left in the interview, counted down locally between the agent's phase messages.
// The clock is passed in (milliseconds, monotonic), so the arithmetic has no hidden time.

export class Countdown {
  private endsAt: number | null = null;

  /** Sets the seconds left as of `now`. */
  set(remainingS: number, now: number): void {
    this.endsAt = now + Math.max(0, remainingS) * 1000;
  }

  /** Whether a value has been set. */
  get started(): boolean {
    return this.endsAt !== null;
  }

  /** Seconds left at `now`; null before the first [`set`]. */
  remaining(now: number): number | null {
    return this.endsAt === null ? null : Math.max(0, (this.endsAt - now) / 1000);
  }
}
