import { useCallback, useEffect, useState } from 'react';

import { errorMessage, isAbortError } from '../api/http';
import { usePolling } from '../hooks/usePolling';
import { getRun } from './api';
import type { RunOverlay } from './Canvas';
import type { RunDetail } from './types';

// A lost websocket signal costs at most this long.
export const RUN_POLL_MS = 4000;
const ACTIVE = new Set(['queued', 'running', 'waiting']);

/**
 * Keep a run's detail fresh: refetch on every signal the server sends over
 * `ws/runs/<id>/`, and poll slowly while the run is active in case a signal
 * is lost. The detail from the API is always what is shown.
 */
export function useRunWatch(runId: number | null): {
  run: RunDetail | null;
  error: string | null;
  refresh: () => Promise<void>;
} {
  const [loaded, setLoaded] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      if (runId === null) {
        return;
      }
      try {
        setLoaded(await getRun(runId, signal));
        setError(null);
      } catch (caught) {
        if (!isAbortError(caught)) {
          setError(errorMessage(caught));
        }
      }
    },
    [runId],
  );

  const run = loaded?.id === runId ? loaded : null;
  usePolling(load, RUN_POLL_MS, runId !== null && (run === null || ACTIVE.has(run.status)));

  useEffect(() => {
    if (runId === null || typeof WebSocket === 'undefined') {
      return;
    }
    let socket: WebSocket | null = null;
    let retry: number | undefined;
    let closed = false;
    function open() {
      const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
      socket = new WebSocket(`${scheme}://${window.location.host}/ws/runs/${runId}/`);
      socket.onmessage = () => void load();
      socket.onclose = () => {
        if (!closed) {
          retry = window.setTimeout(open, 2000);
        }
      };
    }
    open();
    return () => {
      closed = true;
      window.clearTimeout(retry);
      socket?.close();
    };
  }, [runId, load]);

  return { run, error, refresh: useCallback(() => load(), [load]) };
}

/** Where a run went on the graph: each reached step's latest status, and the edges taken. */
export function overlayOf(run: RunDetail): RunOverlay {
  const statuses = new Map<string, string>();
  const taken = new Set<string>();
  const ordered = [...run.steps].sort((a, b) => a.id - b.id);
  for (const step of ordered) {
    statuses.set(step.node_id, step.status);
    if (step.port !== null && step.port !== '') {
      taken.add(`${step.node_id}:${step.port}`);
    }
  }
  return { statuses, taken };
}
