/**
 * A leading-edge throttle: `request()` asks for one call of `send`. When nothing was sent in the
 * last `intervalMs`, the call goes at once (at the end of the current event-loop turn, so that the
 * changes of one turn go together); otherwise it goes at the end of the window, `intervalMs` after
 * the previous send, together with every request made meanwhile. So `send` runs at most once per
 * `intervalMs`, and a request never waits longer than `intervalMs` (plus timer lateness).
 *
 * Flow control: when `send` returns a promise (the webview's postMessage, which settles when the
 * window's side answered, i.e. after a round trip), at most `maxInFlight` sends are unsettled at
 * once: a further send waits until one settles, so that messages never pile up in a slow
 * transport (they would arrive ever later, one after the other); what changed meanwhile goes in
 * the one message sent then. A promise that does not settle within `maxInFlightMs` stops counting.
 *
 * No vscode import (unit-tested with a fake clock).
 */

export interface ThrottleClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_CLOCK: ThrottleClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class LeadingThrottle {
  private timer: unknown;
  private pending = false;
  private lastSent = Number.NEGATIVE_INFINITY;
  private disposed = false;
  /** Sends whose promise has not settled yet (see flow control). */
  private readonly inFlight = new Set<number>();
  private flights = 0;
  /** A request came while `maxInFlight` sends were in flight. */
  private afterFlight = false;

  constructor(
    readonly intervalMs: number,
    private readonly send: () => void | PromiseLike<unknown>,
    private readonly clock: ThrottleClock = REAL_CLOCK,
    private readonly maxInFlight = 1,
    private readonly maxInFlightMs = 2000,
  ) {}

  /** Asks for a send: now when the window is open, else at its end (one send for all requests). */
  request(): void {
    if (this.disposed || this.pending) return;
    if (this.inFlight.size >= this.maxInFlight) {
      this.afterFlight = true;
      return;
    }
    this.pending = true;
    const wait = Math.max(0, this.lastSent + this.intervalMs - this.clock.now());
    this.timer = this.clock.setTimeout(() => this.fire(), wait);
  }

  /**
   * Records a send made outside the throttle (e.g. a whole snapshot): the next request waits for
   * the window that starts now. A request pending meanwhile stays pending.
   */
  markSent(): void {
    this.lastSent = this.clock.now();
  }

  /** Drops a pending request (e.g. the page went away; it gets a snapshot when it is back). */
  cancel(): void {
    if (this.pending) this.clock.clearTimeout(this.timer);
    this.pending = false;
    this.afterFlight = false;
    this.timer = undefined;
  }

  get isPending(): boolean {
    return this.pending || this.afterFlight;
  }

  dispose(): void {
    this.cancel();
    this.disposed = true;
  }

  private fire(): void {
    this.pending = false;
    this.timer = undefined;
    if (this.disposed) return;
    this.lastSent = this.clock.now();
    const result = this.send();
    if (result === undefined || typeof result.then !== 'function') return;
    const flight = ++this.flights;
    this.inFlight.add(flight);
    const settled = (): void => {
      if (!this.inFlight.delete(flight)) return; // settled or timed out already
      this.clock.clearTimeout(guard);
      if (this.afterFlight && !this.disposed) {
        this.afterFlight = false;
        this.request();
      }
    };
    const guard = this.clock.setTimeout(settled, this.maxInFlightMs);
    result.then(settled, settled);
  }
}
