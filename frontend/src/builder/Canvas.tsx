import {
  applyNodeChanges,
  Background,
  Controls,
  getViewportForBounds,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type NodeChange,
  type ReactFlowInstance,
} from '@xyflow/react';
import {
  useCallback,
  useMemo,
  useRef,
  useState,
  type Dispatch,
  type DragEvent,
  type SetStateAction,
} from 'react';

import { boundsOf, connect, edgeId, newNode, portsOf } from './graph';
import { KIND_MIME } from './Palette';
import { StepNode, type PortState, type StepFlowNode } from './StepNode';
import type { Graph, GraphNode, NodeKinds, Problem } from './types';
import '@xyflow/react/dist/style.css';

const nodeTypes = { step: StepNode };

const MIN_ZOOM = 0.1;
const MAX_ZOOM = 2;

/**
 * Frame the whole graph in a pane of the given size, never above 100% so a
 * lone step is not blown up.
 */
export function fitGraph(
  flow: Pick<ReactFlowInstance, 'setViewport'>,
  graph: Graph,
  pane: { width: number; height: number },
  duration = 0,
): void {
  const bounds = boundsOf(graph);
  if (bounds === null || pane.width === 0 || pane.height === 0) {
    return;
  }
  const viewport = getViewportForBounds(bounds, pane.width, pane.height, MIN_ZOOM, 1, 0.15);
  void flow.setViewport(viewport, { duration });
}

export interface RunOverlay {
  // The latest status of each step the run reached, by node id.
  statuses: Map<string, string>;
  // Edges the run took, as `source:port`.
  taken: Set<string>;
}

export interface Selection {
  nodes: string[];
  edges: string[];
}

interface CanvasProps {
  graph: Graph;
  kinds: NodeKinds;
  problems: Problem[];
  overlay: RunOverlay | null;
  selection: Selection;
  onEdit: (graph: Graph, key?: string) => void;
  onSelect: Dispatch<SetStateAction<Selection>>;
}

/** The graph on a pannable, zoomable canvas; edits go back as whole graphs. */
export function Canvas({
  graph,
  kinds,
  problems,
  overlay,
  selection,
  onEdit,
  onSelect,
}: CanvasProps) {
  const flow = useReactFlow();
  const [nodes, setNodes] = useState<StepFlowNode[]>([]);
  // Fit the workflow as it was opened; on an empty canvas, the first step
  // dropped stays where it was dropped.
  const [opened] = useState(graph);
  const pane = useRef<HTMLDivElement>(null);
  const onInit = useCallback(
    (instance: ReactFlowInstance<StepFlowNode>) => {
      if (pane.current !== null) {
        fitGraph(instance, opened, pane.current.getBoundingClientRect());
      }
    },
    [opened],
  );

  const problemsByNode = useMemo(() => {
    const grouped = new Map<string, string[]>();
    for (const problem of problems) {
      if (problem.node !== null) {
        grouped.set(problem.node, [...(grouped.get(problem.node) ?? []), problem.message]);
      }
    }
    return grouped;
  }, [problems]);

  // Rebuild React Flow's nodes whenever what they show changes, during
  // render rather than in an effect so the canvas never draws a stale
  // graph. Nodes whose inputs did not change are reused, so memoised steps
  // skip rendering; sizes React Flow measured carry over.
  const inputs: NodeInputs = { graph, kinds, problemsByNode, overlay, selected: selection.nodes };
  const [shown, setShown] = useState<NodeInputs | null>(null);
  if (
    shown === null ||
    Object.keys(inputs).some(
      (key) => inputs[key as keyof NodeInputs] !== shown[key as keyof NodeInputs],
    )
  ) {
    setShown(inputs);
    setNodes((previous) => flowNodes(inputs, previous));
  }

  const edges = useMemo<Edge[]>(() => {
    const selected = new Set(selection.edges);
    return graph.edges
      .filter((edge) => edge.target !== null)
      .map((edge) => {
        const id = edgeId(edge);
        const taken = overlay?.taken.has(id) ?? false;
        return {
          id,
          source: edge.source,
          sourceHandle: edge.port,
          target: edge.target as string,
          selected: selected.has(id),
          animated: taken,
          className: taken ? 'edge--taken' : undefined,
        };
      });
  }, [graph.edges, overlay, selection.edges]);

  const onNodesChange = useCallback(
    (changes: NodeChange<StepFlowNode>[]) => {
      // Positions while dragging and measured sizes stay local until the
      // drag ends; selection is the editor's state.
      setNodes((current) =>
        applyNodeChanges(
          changes.filter((change) => change.type === 'position' || change.type === 'dimensions'),
          current,
        ),
      );
      const picks = changes.flatMap((change) => (change.type === 'select' ? [change] : []));
      if (picks.length > 0) {
        onSelect((current) => ({ ...current, nodes: toggled(current.nodes, picks) }));
      }
    },
    [onSelect],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      // Edges are derived from the graph, and removal goes through the
      // editor's Delete key: only selection is taken from here.
      const picks = changes.flatMap((change) => (change.type === 'select' ? [change] : []));
      if (picks.length > 0) {
        onSelect((current) => ({ ...current, edges: toggled(current.edges, picks) }));
      }
    },
    [onSelect],
  );

  const onNodeDragStop = useCallback(
    (_event: unknown, _node: StepFlowNode | undefined, dragged: StepFlowNode[]) => {
      const moved = new Map(dragged.map((node) => [node.id, node.position]));
      const changed = graph.nodes.some((node) => {
        const to = moved.get(node.id);
        return to !== undefined && (to.x !== node.position?.x || to.y !== node.position?.y);
      });
      if (!changed) {
        return;
      }
      onEdit({
        nodes: graph.nodes.map((node): GraphNode => {
          const to = moved.get(node.id);
          return to === undefined
            ? node
            : { ...node, position: { x: Math.round(to.x), y: Math.round(to.y) } };
        }),
        edges: graph.edges,
      });
    },
    [graph, onEdit],
  );

  const onConnect = useCallback(
    (connection: Connection) => {
      if (connection.sourceHandle === null || connection.sourceHandle === undefined) {
        return;
      }
      onEdit(connect(graph, connection.source, connection.sourceHandle, connection.target));
    },
    [graph, onEdit],
  );

  function onDragOver(event: DragEvent) {
    if (event.dataTransfer.types.includes(KIND_MIME)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = 'move';
    }
  }

  function onDrop(event: DragEvent) {
    const kind = event.dataTransfer.getData(KIND_MIME);
    if (kind === '' || kinds[kind] === undefined) {
      return;
    }
    event.preventDefault();
    const at = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
    const node = newNode(
      kind,
      kinds,
      { x: at.x - 110, y: at.y - 40 },
      graph.nodes.map((n) => n.id),
    );
    onEdit({ nodes: [...graph.nodes, node], edges: graph.edges });
    onSelect({ nodes: [node.id], edges: [] });
  }

  return (
    <div ref={pane} className="canvas" onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStop={onNodeDragStop}
        onSelectionDragStop={(event, dragged) => onNodeDragStop(event, undefined, dragged)}
        onConnect={onConnect}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Meta', 'Control']}
        onlyRenderVisibleElements
        onInit={onInit}
        minZoom={MIN_ZOOM}
        maxZoom={MAX_ZOOM}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={16} />
        <MiniMap pannable zoomable ariaLabel="Overview of the workflow" />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

interface NodeInputs {
  graph: Graph;
  kinds: NodeKinds;
  problemsByNode: Map<string, string[]>;
  overlay: RunOverlay | null;
  selected: string[];
}

function flowNodes(inputs: NodeInputs, previous: StepFlowNode[]): StepFlowNode[] {
  const { graph, kinds, problemsByNode, overlay } = inputs;
  const selected = new Set(inputs.selected);
  const targets = new Map(graph.edges.map((edge) => [edgeId(edge), edge.target]));
  const before = new Map(previous.map((node) => [node.id, node]));
  return graph.nodes.map((node) => {
    const ports = portsOf(node, kinds).map((name) => ({
      name,
      state: portState(targets, node.id, name),
    }));
    const nodeProblems = problemsByNode.get(node.id) ?? [];
    const runStatus = overlay?.statuses.get(node.id) ?? null;
    const old = before.get(node.id);
    if (
      old !== undefined &&
      old.data.node === node &&
      old.selected === selected.has(node.id) &&
      old.data.runStatus === runStatus &&
      sameList(old.data.problems, nodeProblems) &&
      samePorts(old.data.ports, ports)
    ) {
      return old;
    }
    return {
      id: node.id,
      type: 'step',
      position: node.position ?? { x: 0, y: 0 },
      selected: selected.has(node.id),
      measured: old?.measured,
      data: {
        node,
        kindLabel: kinds[node.kind]?.label ?? node.kind,
        isTrigger: kinds[node.kind]?.is_trigger ?? false,
        ports,
        problems: nodeProblems,
        runStatus,
      },
    };
  });
}

function portState(targets: Map<string, string | null>, node: string, port: string): PortState {
  const key = `${node}:${port}`;
  if (!targets.has(key)) {
    return 'open';
  }
  return targets.get(key) === null ? 'ends' : 'connected';
}

function toggled(current: string[], picks: { id: string; selected: boolean }[]): string[] {
  const chosen = new Set(current);
  for (const pick of picks) {
    if (pick.selected) {
      chosen.add(pick.id);
    } else {
      chosen.delete(pick.id);
    }
  }
  return [...chosen];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

function samePorts(a: StepFlowNode['data']['ports'], b: StepFlowNode['data']['ports']): boolean {
  return (
    a.length === b.length &&
    a.every((port, index) => port.name === b[index]?.name && port.state === b[index]?.state)
  );
}
