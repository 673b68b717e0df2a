import { useCallback, useState } from 'react';

import { errorMessage, isAbortError } from '../../api/http';
import { usePolling } from '../../hooks/usePolling';
import { getThread, type Thread } from '../api';

export const THREAD_INTERVAL_MS = 1500;

export interface ThreadState {
  // null until the selected thread's first answer arrives.
  thread: Thread | null;
  error: string | null;
  refresh: () => Promise<void>;
}

interface Loaded<T> {
  contactId: number;
  value: T;
}

/**
 * Keep the selected thread fresh while the tab is visible.
 *
 * Answers are remembered with the contact they belong to, so a late answer
 * for the previous selection never shows under the new one.
 */
export function useThread(contactId: number | null): ThreadState {
  const [loaded, setLoaded] = useState<Loaded<Thread> | null>(null);
  const [failed, setFailed] = useState<Loaded<string> | null>(null);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      if (contactId === null) {
        return;
      }
      try {
        const thread = await getThread(contactId, signal);
        setLoaded({ contactId, value: thread });
        setFailed(null);
      } catch (caught) {
        if (!isAbortError(caught)) {
          setFailed({ contactId, value: errorMessage(caught) });
        }
      }
    },
    [contactId],
  );
  usePolling(load, THREAD_INTERVAL_MS, contactId !== null);

  const refresh = useCallback(() => load(), [load]);

  return {
    thread: loaded?.contactId === contactId ? loaded.value : null,
    error: failed?.contactId === contactId ? failed.value : null,
    refresh,
  };
}
