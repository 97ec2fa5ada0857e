/**
 * A leading-and-trailing throttle: the first call runs at once, calls during the next
 * `intervalMs` are folded into one run at its end. The trees use it so that live `iter` events
 * refresh them at most a few times a second. No vscode import.
 */
export interface Throttled {
  (): void;
  /** Drops a pending run and stops the timer. */
  dispose(): void;
}

export function throttle(fn: () => void, intervalMs: number): Throttled {
  let timer: NodeJS.Timeout | undefined;
  let pending = false;

  const open = (): void => {
    timer = setTimeout(() => {
      timer = undefined;
      if (pending) {
        pending = false;
        fn();
        open();
      }
    }, intervalMs);
  };

  const call = (() => {
    if (timer !== undefined) {
      pending = true;
      return;
    }
    fn();
    open();
  }) as Throttled;
  call.dispose = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    pending = false;
  };
  return call;
}

/** At most four refreshes per second. */
export const TREE_REFRESH_MS = 250;
