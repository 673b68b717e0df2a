// Pure functions over the workflow graph: ports, ids, layout, and what
// changed between two graphs. The editor keeps the workflow's own JSON as its
// state and derives React Flow's nodes and edges from it, so what is saved
// is exactly what was drawn.
import dagre from '@dagrejs/dagre';

import type { Config, Graph, GraphEdge, GraphNode, NodeKinds, Position } from './types';

// Where a kind's config adds ports, mirroring `_CONFIG_PORTS` in
// workflows/definition.py: the list, and the key naming each port in its
// items (null when the items are the names themselves).
const CONFIG_PORTS: Record<string, [string, string | null]> = {
  agent_sms: ['outcomes', 'name'],
  branch: ['conditions', 'port'],
  human_handoff: ['outcomes', null],
};

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 96;

/** The output ports of `node`: config-named ports first, then the kind's own. */
export function portsOf(node: Pick<GraphNode, 'kind' | 'config'>, kinds: NodeKinds): string[] {
  const kind = kinds[node.kind];
  if (kind === undefined) {
    return [];
  }
  const names: string[] = [];
  const source = CONFIG_PORTS[node.kind];
  if (source !== undefined) {
    const [listKey, nameKey] = source;
    const entries = node.config[listKey];
    if (Array.isArray(entries)) {
      for (const entry of entries) {
        const name = nameKey === null ? entry : isRecord(entry) ? entry[nameKey] : undefined;
        if (typeof name === 'string' && name !== '') {
          names.push(name);
        }
      }
    }
  }
  return [...new Set([...names, ...kind.ports])];
}

/**
 * The port each config entry names, by position ('' where it names none),
 * or null for a kind whose ports don't come from its config.
 */
function configPortNames(node: Pick<GraphNode, 'kind' | 'config'>): string[] | null {
  const source = CONFIG_PORTS[node.kind];
  const entries = source === undefined ? undefined : node.config[source[0]];
  if (source === undefined || !Array.isArray(entries)) {
    return null;
  }
  return entries.map((entry: unknown) => {
    const name = source[1] === null ? entry : isRecord(entry) ? entry[source[1]] : undefined;
    return typeof name === 'string' ? name : '';
  });
}

/**
 * Replace `before` with `after` in the graph. When an edit renames a port in
 * place (an outcome or a condition whose name is being typed), its edge
 * follows the new name instead of being dropped with the old one.
 */
export function replaceNode(graph: Graph, before: GraphNode, after: GraphNode): Graph {
  const nodes = graph.nodes.map((node) => (node.id === before.id ? after : node));
  const old = configPortNames(before);
  const renamed = configPortNames(after);
  if (old === null || renamed === null || old.length !== renamed.length) {
    return { nodes, edges: graph.edges };
  }
  const renames = new Map<string, string>();
  old.forEach((name, index) => {
    const to = renamed[index]!;
    if (name !== '' && to !== '' && name !== to && !renamed.includes(name) && !old.includes(to)) {
      renames.set(name, to);
    }
  });
  if (renames.size === 0) {
    return { nodes, edges: graph.edges };
  }
  const edges = graph.edges.map((edge) => {
    const to = edge.source === before.id ? renames.get(edge.port) : undefined;
    return to === undefined ? edge : { ...edge, port: to };
  });
  return { nodes, edges };
}

/** A new node id from the kind's name, unique in the graph: `send_sms_2`. */
export function newNodeId(kind: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  for (let n = 1; ; n += 1) {
    const id = `${kind}_${n}`;
    if (!used.has(id)) {
      return id;
    }
  }
}

export function newNode(
  kind: string,
  kinds: NodeKinds,
  position: Position,
  taken: Iterable<string>,
): GraphNode {
  const config: Config = kind === 'trigger' ? { type: 'manual' } : {};
  return {
    id: newNodeId(kind, taken),
    kind,
    label: kinds[kind]?.label ?? kind,
    config,
    position: { x: Math.round(position.x), y: Math.round(position.y) },
  };
}

/**
 * Drop edges that leave from a port that no longer exists (an outcome was
 * renamed or removed) or that touch a node no longer in the graph.
 */
export function pruneEdges(graph: Graph, kinds: NodeKinds): Graph {
  const nodes = new Map(graph.nodes.map((node) => [node.id, node]));
  const edges = graph.edges.filter((edge) => {
    const source = nodes.get(edge.source);
    return (
      source !== undefined &&
      portsOf(source, kinds).includes(edge.port) &&
      (edge.target === null || nodes.has(edge.target))
    );
  });
  return edges.length === graph.edges.length ? graph : { nodes: graph.nodes, edges };
}

/** Connect `source`'s `port` to `target`, replacing what the port led to. */
export function connect(graph: Graph, source: string, port: string, target: string | null): Graph {
  const edges = graph.edges.filter((edge) => !(edge.source === source && edge.port === port));
  return { nodes: graph.nodes, edges: [...edges, { source, port, target }] };
}

export function removeElements(graph: Graph, nodeIds: Set<string>, edgeIds: Set<string>): Graph {
  const nodes = graph.nodes.filter((node) => !nodeIds.has(node.id));
  const edges = graph.edges
    .filter((edge) => !edgeIds.has(edgeId(edge)) && !nodeIds.has(edge.source))
    .filter((edge) => edge.target === null || !nodeIds.has(edge.target));
  // Nothing of the graph chosen (e.g. ids of steps already gone): no edit.
  if (nodes.length === graph.nodes.length && edges.length === graph.edges.length) {
    return graph;
  }
  return { nodes, edges };
}

export function edgeId(edge: Pick<GraphEdge, 'source' | 'port'>): string {
  return `${edge.source}:${edge.port}`;
}

/**
 * Copies of `nodes` with fresh ids, offset so they don't cover the
 * originals, keeping the edges among them.
 */
export function duplicate(
  nodes: GraphNode[],
  edges: GraphEdge[],
  taken: Iterable<string>,
  offset: Position = { x: 40, y: 40 },
): Graph {
  const used = new Set(taken);
  const ids = new Map<string, string>();
  const copies = nodes.map((node) => {
    const id = newNodeId(node.kind, used);
    used.add(id);
    ids.set(node.id, id);
    const position = node.position ?? { x: 0, y: 0 };
    return {
      ...structuredClone(node),
      id,
      position: { x: position.x + offset.x, y: position.y + offset.y },
    };
  });
  const copiedEdges = edges
    .filter((edge) => ids.has(edge.source) && edge.target !== null && ids.has(edge.target))
    .map((edge) => ({
      source: ids.get(edge.source) as string,
      port: edge.port,
      target: ids.get(edge.target as string) as string,
    }));
  return { nodes: copies, edges: copiedEdges };
}

/** Lay the graph out top to bottom with dagre; returns new positions by id. */
/**
 * The box around every step, from positions and the nominal step size;
 * null for an empty graph. React Flow measures only the steps it renders,
 * so fitting the view uses this rather than its own measurements.
 */
export function boundsOf(
  graph: Graph,
): { x: number; y: number; width: number; height: number } | null {
  if (graph.nodes.length === 0) {
    return null;
  }
  const xs = graph.nodes.map((node) => node.position?.x ?? 0);
  const ys = graph.nodes.map((node) => node.position?.y ?? 0);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return {
    x,
    y,
    width: Math.max(...xs) + NODE_WIDTH - x,
    height: Math.max(...ys) + NODE_HEIGHT - y,
  };
}

export function layout(graph: Graph): Map<string, Position> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 40, ranksep: 70, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) {
    g.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  }
  for (const edge of graph.edges) {
    if (edge.target !== null && g.hasNode(edge.source) && g.hasNode(edge.target)) {
      g.setEdge(edge.source, edge.target);
    }
  }
  dagre.layout(g);
  const positions = new Map<string, Position>();
  for (const node of graph.nodes) {
    const placed = g.node(node.id);
    positions.set(node.id, {
      x: Math.round(placed.x - NODE_WIDTH / 2),
      y: Math.round(placed.y - NODE_HEIGHT / 2),
    });
  }
  return positions;
}

export interface GraphDiff {
  added: GraphNode[];
  removed: GraphNode[];
  changed: GraphNode[];
  connected: GraphEdge[];
  disconnected: GraphEdge[];
}

/**
 * What publishing `after` changes relative to `before`. Moving a node is not
 * a change: positions don't alter what a run does.
 */
export function diffGraphs(before: Graph, after: Graph): GraphDiff {
  const old = new Map(before.nodes.map((node) => [node.id, node]));
  const now = new Map(after.nodes.map((node) => [node.id, node]));
  const meaning = (node: GraphNode) =>
    stableJson({ kind: node.kind, label: node.label, config: node.config, retry: node.retry });
  const oldEdges = new Map(before.edges.map((edge) => [edgeId(edge), edge]));
  const newEdges = new Map(after.edges.map((edge) => [edgeId(edge), edge]));
  return {
    added: after.nodes.filter((node) => !old.has(node.id)),
    removed: before.nodes.filter((node) => !now.has(node.id)),
    changed: after.nodes.filter((node) => {
      const previous = old.get(node.id);
      return previous !== undefined && meaning(previous) !== meaning(node);
    }),
    connected: after.edges.filter((edge) => oldEdges.get(edgeId(edge))?.target !== edge.target),
    disconnected: before.edges.filter((edge) => !newEdges.has(edgeId(edge))),
  };
}

export function isEmptyDiff(diff: GraphDiff): boolean {
  return Object.values(diff).every((list) => list.length === 0);
}

/** JSON with object keys sorted, so equal values give equal strings. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    isRecord(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
