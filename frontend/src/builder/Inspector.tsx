import { useEffect, useState } from 'react';

import { listVariables, type Variable } from './api';
import { NodeForm } from './form';
import { connect, portsOf } from './graph';
import type { Config, Graph, GraphNode, NodeKinds, Problem } from './types';

interface InspectorProps {
  workflowId: number;
  node: GraphNode | null;
  graph: Graph;
  kinds: NodeKinds;
  problems: Problem[];
  // Whether the server has the draft as shown, so its variables are current.
  saved: boolean;
  selectedCount: number;
  onChange: (node: GraphNode, key: string) => void;
  onEdit: (graph: Graph) => void;
}

const OPEN = '';
const ENDS = '__end__';

/** The selected step: its label, its settings form, and where its ports lead. */
export function Inspector({
  workflowId,
  node,
  graph,
  kinds,
  problems,
  saved,
  selectedCount,
  onChange,
  onEdit,
}: InspectorProps) {
  const variables = useVariables(workflowId, node?.id ?? null, saved);

  if (node === null) {
    return (
      <p className="inspector__empty">
        {selectedCount > 1
          ? `${selectedCount} steps selected. Copy, duplicate or delete them with the keyboard.`
          : 'Select a step to edit it, or drag one from the list on the left.'}
      </p>
    );
  }
  const kind = kinds[node.kind];
  const targets = new Map(graph.edges.map((edge) => [edge.port + '\u0000' + edge.source, edge]));
  const others = graph.nodes.filter(
    (other) => other.id !== node.id && !kinds[other.kind]?.is_trigger,
  );

  function route(port: string, choice: string) {
    if (node === null) {
      return;
    }
    if (choice === OPEN) {
      onEdit({
        nodes: graph.nodes,
        edges: graph.edges.filter((edge) => !(edge.source === node.id && edge.port === port)),
      });
    } else {
      onEdit(connect(graph, node.id, port, choice === ENDS ? null : choice));
    }
  }

  return (
    <div className="inspector" data-testid="inspector">
      <p className="inspector__kind">
        {kind?.label ?? node.kind} · <code>{node.id}</code>
      </p>
      <label className="inspector__field">
        <span>Label</span>
        <input
          value={node.label ?? ''}
          maxLength={80}
          onChange={(event) => onChange({ ...node, label: event.target.value }, `label:${node.id}`)}
          data-testid="node-label"
        />
      </label>
      {kind !== undefined && (
        <NodeForm
          kind={kind}
          config={node.config}
          onChange={(config: Config) => onChange({ ...node, config }, `config:${node.id}`)}
          problems={problems}
          variables={variables}
        />
      )}
      <h3 className="inspector__heading">Ports</h3>
      {kind?.ports_note && <p className="inspector__help">{kind.ports_note}</p>}
      <ul className="inspector__ports">
        {portsOf(node, kinds).map((port) => {
          const edge = targets.get(port + '\u0000' + node.id);
          const value = edge === undefined ? OPEN : edge.target === null ? ENDS : edge.target;
          return (
            <li key={port}>
              <label>
                <span className="inspector__port-name">{port}</span>
                <select
                  value={value}
                  onChange={(event) => route(port, event.target.value)}
                  data-testid={`route-${port}`}
                >
                  <option value={OPEN}>Not connected</option>
                  <option value={ENDS}>Ends the run</option>
                  {others.map((other) => (
                    <option key={other.id} value={other.id}>
                      {other.label || other.id}
                    </option>
                  ))}
                </select>
              </label>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function useVariables(workflowId: number, nodeId: string | null, saved: boolean): Variable[] {
  const [variables, setVariables] = useState<Variable[]>([]);
  useEffect(() => {
    if (nodeId === null || !saved) {
      return;
    }
    const controller = new AbortController();
    listVariables(workflowId, nodeId, controller.signal)
      .then(setVariables)
      .catch(() => {
        // Autocomplete is a convenience: without it the field still works.
      });
    return () => controller.abort();
  }, [workflowId, nodeId, saved]);
  return variables;
}
