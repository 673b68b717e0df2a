import { describe, expect, it } from 'vitest';

import {
  boundsOf,
  NODE_HEIGHT,
  NODE_WIDTH,
  connect,
  diffGraphs,
  duplicate,
  isEmptyDiff,
  layout,
  newNodeId,
  portsOf,
  pruneEdges,
  removeElements,
  replaceNode,
} from './graph';
import { KINDS } from './testKinds';
import type { Graph } from './types';

const GRAPH: Graph = {
  nodes: [
    { id: 'start', kind: 'trigger', config: { type: 'manual' }, position: { x: 0, y: 0 } },
    {
      id: 'ask',
      kind: 'agent_sms',
      config: { outcomes: [{ name: 'booked' }, { name: 'declined' }] },
      position: { x: 0, y: 150 },
    },
    { id: 'done', kind: 'end', config: {}, position: { x: 0, y: 300 } },
  ],
  edges: [
    { source: 'start', port: 'next', target: 'ask' },
    { source: 'ask', port: 'booked', target: 'done' },
    { source: 'ask', port: 'declined', target: 'done' },
    { source: 'ask', port: 'opted_out', target: null },
  ],
};

describe('portsOf', () => {
  it('lists outcome ports before the kind’s own, each once', () => {
    expect(portsOf(GRAPH.nodes[1]!, KINDS)).toEqual([
      'booked',
      'declined',
      'timeout',
      'handoff',
      'opted_out',
    ]);
  });

  it('follows a branch’s conditions and a handoff’s outcome names', () => {
    const branch = { kind: 'branch', config: { conditions: [{ port: 'vip' }, { port: '' }] } };
    expect(portsOf(branch, KINDS)).toEqual(['vip', 'else']);
    const handoff = { kind: 'human_handoff', config: { outcomes: ['resolved', 'resolved', 3] } };
    expect(portsOf(handoff, KINDS)).toEqual(['resolved']);
  });

  it('gives an unknown kind no ports', () => {
    expect(portsOf({ kind: 'teleport', config: {} }, KINDS)).toEqual([]);
  });
});

describe('editing', () => {
  it('names new nodes after their kind without reusing an id', () => {
    expect(newNodeId('send_sms', ['send_sms_1', 'send_sms_3'])).toBe('send_sms_2');
  });

  it('drops edges of a renamed outcome and keeps explicit ends', () => {
    const renamed: Graph = {
      nodes: GRAPH.nodes.map((node) =>
        node.id === 'ask'
          ? { ...node, config: { outcomes: [{ name: 'confirmed' }, { name: 'declined' }] } }
          : node,
      ),
      edges: GRAPH.edges,
    };
    const pruned = pruneEdges(renamed, KINDS);
    expect(pruned.edges.map((edge) => edge.port)).toEqual(['next', 'declined', 'opted_out']);
  });

  it('leaves an unchanged graph as the same object', () => {
    expect(pruneEdges(GRAPH, KINDS)).toBe(GRAPH);
  });

  it('replaces what a port led to when it is connected again', () => {
    const rewired = connect(GRAPH, 'ask', 'booked', null);
    const booked = rewired.edges.filter((edge) => edge.port === 'booked');
    expect(booked).toEqual([{ source: 'ask', port: 'booked', target: null }]);
  });

  it('removes a node with every edge that touches it', () => {
    const removed = removeElements(GRAPH, new Set(['ask']), new Set());
    expect(removed.nodes.map((node) => node.id)).toEqual(['start', 'done']);
    expect(removed.edges).toEqual([]);
  });

  it('removes a selected edge only', () => {
    const removed = removeElements(GRAPH, new Set(), new Set(['ask:booked']));
    expect(removed.edges).toHaveLength(3);
    expect(removed.nodes).toHaveLength(3);
  });

  it('moves a port’s edge when its outcome is renamed in place', () => {
    const ask = GRAPH.nodes[1]!;
    const outcomes = ask.config.outcomes as { name: string }[];
    const renamed = {
      ...ask,
      config: { ...ask.config, outcomes: [{ ...outcomes[0]!, name: 'yes' }, ...outcomes.slice(1)] },
    };

    const replaced = replaceNode(GRAPH, ask, renamed);

    expect(replaced.nodes[1]).toBe(renamed);
    expect(
      replaced.edges.filter((edge) => edge.source === 'ask').map((edge) => edge.port),
    ).toContain('yes');
    expect(replaced.edges.some((edge) => edge.port === outcomes[0]!.name)).toBe(false);
  });

  it('leaves edges alone when outcomes are added, removed or swapped', () => {
    const ask = GRAPH.nodes[1]!;
    const outcomes = ask.config.outcomes as { name: string }[];
    const swapped = { ...ask, config: { ...ask.config, outcomes: [...outcomes].reverse() } };
    const added = { ...ask, config: { ...ask.config, outcomes: [...outcomes, { name: 'new' }] } };

    expect(replaceNode(GRAPH, ask, swapped).edges).toBe(GRAPH.edges);
    expect(replaceNode(GRAPH, ask, added).edges).toBe(GRAPH.edges);
  });

  it('bounds every step by its position and the nominal step size', () => {
    const graph = {
      nodes: [
        { id: 'a', kind: 'end', config: {}, position: { x: -100, y: 50 } },
        { id: 'b', kind: 'end', config: {}, position: { x: 300, y: 400 } },
      ],
      edges: [],
    };
    expect(boundsOf(graph)).toEqual({
      x: -100,
      y: 50,
      width: 400 + NODE_WIDTH,
      height: 350 + NODE_HEIGHT,
    });
    expect(boundsOf({ nodes: [], edges: [] })).toBeNull();
  });

  it('leaves the graph as it is when nothing chosen is in it', () => {
    expect(removeElements(GRAPH, new Set(['gone']), new Set(['gone:next']))).toBe(GRAPH);
  });

  it('duplicates nodes with fresh ids and the edges between them', () => {
    const copy = duplicate(
      GRAPH.nodes.slice(1),
      GRAPH.edges,
      GRAPH.nodes.map((node) => node.id),
    );
    expect(copy.nodes.map((node) => node.id)).toEqual(['agent_sms_1', 'end_1']);
    expect(copy.nodes[0]!.position).toEqual({ x: 40, y: 190 });
    expect(copy.edges).toEqual([
      { source: 'agent_sms_1', port: 'booked', target: 'end_1' },
      { source: 'agent_sms_1', port: 'declined', target: 'end_1' },
    ]);
    // The copy shares no config object with the original.
    expect(copy.nodes[0]!.config).not.toBe(GRAPH.nodes[1]!.config);
  });
});

describe('layout', () => {
  it('places each step below the one that leads to it', () => {
    const positions = layout(GRAPH);
    const y = (id: string) => positions.get(id)!.y;
    expect(y('start')).toBeLessThan(y('ask'));
    expect(y('ask')).toBeLessThan(y('done'));
  });
});

describe('diffGraphs', () => {
  it('ignores moves', () => {
    const moved: Graph = {
      nodes: GRAPH.nodes.map((node) => ({ ...node, position: { x: 500, y: 500 } })),
      edges: GRAPH.edges,
    };
    expect(isEmptyDiff(diffGraphs(GRAPH, moved))).toBe(true);
  });

  it('reports added, removed and changed steps, and rewired ports', () => {
    const after: Graph = {
      nodes: [
        GRAPH.nodes[0]!,
        { ...GRAPH.nodes[1]!, config: { outcomes: [{ name: 'booked' }], goal: 'Book' } },
        { id: 'bye', kind: 'end', config: {} },
      ],
      edges: [
        { source: 'start', port: 'next', target: 'ask' },
        { source: 'ask', port: 'booked', target: 'bye' },
      ],
    };
    const diff = diffGraphs(GRAPH, after);
    expect(diff.added.map((node) => node.id)).toEqual(['bye']);
    expect(diff.removed.map((node) => node.id)).toEqual(['done']);
    expect(diff.changed.map((node) => node.id)).toEqual(['ask']);
    expect(diff.connected).toEqual([{ source: 'ask', port: 'booked', target: 'bye' }]);
    expect(diff.disconnected.map((edge) => edge.port)).toEqual(['declined', 'opted_out']);
  });
});
