// Undo and redo over whole graphs. Edits that arrive in a burst under the
// same key (typing in one field, dragging the same nodes) coalesce into one
// step, so one Ctrl+Z undoes one thing a person did.
import type { Graph } from './types';

export const HISTORY_LIMIT = 200;
const COALESCE_MS = 1000;

export interface History {
  past: Graph[];
  present: Graph;
  future: Graph[];
  // The key and time of the last edit, for coalescing.
  lastKey: string | null;
  lastAt: number;
}

export type HistoryAction =
  | { type: 'edit'; graph: Graph; key?: string; at?: number }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'reset'; graph: Graph };

export function initialHistory(graph: Graph): History {
  return { past: [], present: graph, future: [], lastKey: null, lastAt: 0 };
}

export function historyReducer(state: History, action: HistoryAction): History {
  switch (action.type) {
    case 'edit': {
      if (action.graph === state.present) {
        return state;
      }
      const at = action.at ?? Date.now();
      const key = action.key ?? null;
      const coalesce = key !== null && key === state.lastKey && at - state.lastAt < COALESCE_MS;
      const past = coalesce ? state.past : [...state.past, state.present].slice(-HISTORY_LIMIT);
      return { past, present: action.graph, future: [], lastKey: key, lastAt: at };
    }
    case 'undo': {
      const previous = state.past[state.past.length - 1];
      if (previous === undefined) {
        return state;
      }
      return {
        past: state.past.slice(0, -1),
        present: previous,
        future: [state.present, ...state.future],
        lastKey: null,
        lastAt: 0,
      };
    }
    case 'redo': {
      const [next, ...rest] = state.future;
      if (next === undefined) {
        return state;
      }
      return {
        past: [...state.past, state.present],
        present: next,
        future: rest,
        lastKey: null,
        lastAt: 0,
      };
    }
    case 'reset':
      return initialHistory(action.graph);
  }
}
