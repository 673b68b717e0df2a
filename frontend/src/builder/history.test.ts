import { describe, expect, it } from 'vitest';

import { HISTORY_LIMIT, historyReducer, initialHistory } from './history';
import type { Graph } from './types';

function graph(label: string): Graph {
  return { nodes: [{ id: 'a', kind: 'end', label, config: {} }], edges: [] };
}

describe('historyReducer', () => {
  it('undoes and redoes edits in order', () => {
    let state = initialHistory(graph('one'));
    state = historyReducer(state, { type: 'edit', graph: graph('two') });
    state = historyReducer(state, { type: 'edit', graph: graph('three') });
    state = historyReducer(state, { type: 'undo' });
    expect(state.present.nodes[0]!.label).toBe('two');
    state = historyReducer(state, { type: 'undo' });
    expect(state.present.nodes[0]!.label).toBe('one');
    state = historyReducer(state, { type: 'redo' });
    expect(state.present.nodes[0]!.label).toBe('two');
  });

  it('drops the redo future on a new edit', () => {
    let state = initialHistory(graph('one'));
    state = historyReducer(state, { type: 'edit', graph: graph('two') });
    state = historyReducer(state, { type: 'undo' });
    state = historyReducer(state, { type: 'edit', graph: graph('other') });
    expect(state.future).toEqual([]);
    expect(historyReducer(state, { type: 'redo' })).toBe(state);
  });

  it('coalesces a burst of edits under one key into one undo step', () => {
    let state = initialHistory(graph(''));
    for (const [index, label] of ['H', 'Hi', 'Hi!'].entries()) {
      state = historyReducer(state, {
        type: 'edit',
        graph: graph(label),
        key: 'label:a',
        at: 1000 + index * 100,
      });
    }
    expect(state.past).toHaveLength(1);
    state = historyReducer(state, { type: 'undo' });
    expect(state.present.nodes[0]!.label).toBe('');
  });

  it('starts a new step after a pause or under another key', () => {
    let state = initialHistory(graph(''));
    state = historyReducer(state, { type: 'edit', graph: graph('a'), key: 'k', at: 0 });
    state = historyReducer(state, { type: 'edit', graph: graph('b'), key: 'k', at: 5000 });
    state = historyReducer(state, { type: 'edit', graph: graph('c'), key: 'other', at: 5100 });
    expect(state.past).toHaveLength(3);
  });

  it('keeps a bounded past', () => {
    let state = initialHistory(graph('0'));
    for (let n = 1; n <= HISTORY_LIMIT + 5; n += 1) {
      state = historyReducer(state, { type: 'edit', graph: graph(String(n)) });
    }
    expect(state.past).toHaveLength(HISTORY_LIMIT);
  });

  it('ignores undo with nothing to undo', () => {
    const state = initialHistory(graph('one'));
    expect(historyReducer(state, { type: 'undo' })).toBe(state);
  });
});
