import { useCallback, useState } from 'react';

import { errorMessage, isAbortError } from '../../api/http';
import { usePolling } from '../../hooks/usePolling';
import { listThreads, type ThreadSummary } from '../api';

export const THREAD_LIST_INTERVAL_MS = 5000;

export interface ThreadListState {
  // null until the first answer arrives.
  threads: ThreadSummary[] | null;
  error: string | null;
  refresh: () => Promise<void>;
}

/** Keep the list of simulator threads fresh while the tab is visible. */
export function useThreadList(): ThreadListState {
  const [threads, setThreads] = useState<ThreadSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async (signal?: AbortSignal) => {
    try {
      setThreads(await listThreads(signal));
      setError(null);
    } catch (caught) {
      if (!isAbortError(caught)) {
        setError(errorMessage(caught));
      }
    }
  }, []);
  usePolling(load, THREAD_LIST_INTERVAL_MS);

  const refresh = useCallback(() => load(), [load]);

  return { threads, error, refresh };
}
