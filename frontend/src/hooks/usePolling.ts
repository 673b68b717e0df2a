import { useEffect } from 'react';

/**
 * Call `poll` now, then `intervalMs` after each call settles, while the tab
 * is visible.
 *
 * `poll` handles its own errors and ignores aborts. Calls never overlap. A hidden tab stops the timer and becoming visible
 * again polls at once. A new `poll` function (its inputs changed) restarts
 * the cycle; the previous call's signal is aborted.
 */
export function usePolling(
  poll: (signal: AbortSignal) => Promise<void>,
  intervalMs: number,
  enabled: boolean = true,
): void {
  useEffect(() => {
    if (!enabled) {
      return;
    }
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;

    async function tick(): Promise<void> {
      clearTimeout(timer);
      if (running || document.hidden || controller.signal.aborted) {
        return;
      }
      running = true;
      try {
        await poll(controller.signal);
      } catch (error) {
        // `poll` shows its own errors; anything left is a bug, and one bad
        // round must not stop the page from refreshing.
        console.error('poll failed', error);
      } finally {
        running = false;
      }
      if (!controller.signal.aborted && !document.hidden) {
        timer = setTimeout(() => void tick(), intervalMs);
      }
    }

    function onVisibilityChange(): void {
      if (document.hidden) {
        clearTimeout(timer);
      } else {
        void tick();
      }
    }

    document.addEventListener('visibilitychange', onVisibilityChange);
    void tick();

    return () => {
      controller.abort();
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibilityChange);
    };
  }, [poll, intervalMs, enabled]);
}
