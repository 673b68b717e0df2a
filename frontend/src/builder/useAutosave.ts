import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';

import { ApiError, errorMessage } from '../api/http';
import { saveDraft } from './api';
import type { Graph, Workflow } from './types';

export type SaveState =
  | { kind: 'saved' }
  | { kind: 'dirty' }
  | { kind: 'saving' }
  // Someone else saved first: nothing more is saved until the page reloads.
  | { kind: 'conflict'; message: string }
  | { kind: 'error'; message: string };

export const AUTOSAVE_DELAY_MS = 700;

/**
 * Save the draft a moment after each edit, one request at a time, naming the
 * revision it was loaded at so the server can refuse a save that would
 * overwrite someone else's. Calls `onSaved` with each saved workflow.
 */
export function useAutosave(
  workflow: Workflow,
  graph: Graph,
  onSaved: (saved: Workflow) => void,
): { state: SaveState; saveNow: () => Promise<void> } {
  const [state, setState] = useState<SaveState>({ kind: 'saved' });
  const revision = useRef(workflow.draft_revision);
  const saved = useRef<Graph>(workflow.draft);
  const latest = useRef(graph);
  const inFlight = useRef<Promise<void> | null>(null);
  const blocked = useRef(false);
  const onSavedRef = useRef(onSaved);
  useLayoutEffect(() => {
    latest.current = graph;
    onSavedRef.current = onSaved;
  });

  const save = useCallback(async (): Promise<void> => {
    if (blocked.current) {
      return;
    }
    if (inFlight.current !== null) {
      await inFlight.current;
    }
    const graphToSave = latest.current;
    if (graphToSave === saved.current) {
      setState({ kind: 'saved' });
      return;
    }
    setState({ kind: 'saving' });
    const attempt = (async () => {
      try {
        const result = await saveDraft(workflow.id, graphToSave, revision.current);
        revision.current = result.draft_revision;
        saved.current = graphToSave;
        setState(latest.current === graphToSave ? { kind: 'saved' } : { kind: 'dirty' });
        onSavedRef.current(result);
      } catch (error) {
        if (error instanceof ApiError && error.status === 409) {
          blocked.current = true;
          setState({ kind: 'conflict', message: error.detail });
        } else {
          setState({ kind: 'error', message: errorMessage(error) });
        }
      }
    })();
    inFlight.current = attempt;
    await attempt;
    inFlight.current = null;
  }, [workflow.id]);

  useEffect(() => {
    if (blocked.current) {
      return;
    }
    // Back to what the server has, e.g. by undoing, and no save on its way
    // that would replace it: nothing to save.
    if (graph === saved.current && inFlight.current === null) {
      setState((current) => (current.kind === 'saved' ? current : { kind: 'saved' }));
      return;
    }
    setState({ kind: 'dirty' });
    const timer = window.setTimeout(() => void save(), AUTOSAVE_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [graph, save]);

  // Leaving with unsaved edits asks first.
  useEffect(() => {
    function warn(event: BeforeUnloadEvent) {
      if (latest.current !== saved.current && !blocked.current) {
        event.preventDefault();
      }
    }
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, []);

  return { state, saveNow: save };
}
