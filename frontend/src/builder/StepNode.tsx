import { Handle, Position, useUpdateNodeInternals, type Node, type NodeProps } from '@xyflow/react';
import { memo, useEffect } from 'react';

import type { GraphNode } from './types';
import './StepNode.css';

// How each port of a step is used: leads to a step, ends the run on
// purpose, or is still open (a validation problem until connected).
export type PortState = 'connected' | 'ends' | 'open';

export interface StepData extends Record<string, unknown> {
  node: GraphNode;
  kindLabel: string;
  isTrigger: boolean;
  ports: { name: string; state: PortState }[];
  problems: string[];
  // Where a run being watched stands on this step, if it reached it.
  runStatus: string | null;
}

export type StepFlowNode = Node<StepData, 'step'>;

/** One step on the canvas: its kind, label, problems and output ports. */
export const StepNode = memo(function StepNode({ id, data, selected }: NodeProps<StepFlowNode>) {
  const { node, kindLabel, isTrigger, ports, problems, runStatus } = data;
  // React Flow measures handles once; ports come and go with the config
  // (an agent's outcomes), and an unmeasured handle can't start an edge.
  const updateNodeInternals = useUpdateNodeInternals();
  const portNames = ports.map((port) => port.name).join('\n');
  useEffect(() => updateNodeInternals(id), [id, portNames, updateNodeInternals]);
  const classes = [
    'step',
    `step--${node.kind}`,
    selected ? 'step--selected' : '',
    problems.length > 0 ? 'step--invalid' : '',
    runStatus !== null ? `step--run-${runStatus}` : '',
  ];
  return (
    <div
      className={classes.filter(Boolean).join(' ')}
      data-testid={`step-${node.id}`}
      data-run-status={runStatus ?? undefined}
      title={problems.join('\n') || undefined}
    >
      {!isTrigger && <Handle type="target" position={Position.Top} className="step__in" />}
      <div className="step__kind">{kindLabel}</div>
      <div className="step__label">{node.label || node.id}</div>
      {problems.length > 0 && (
        <div className="step__problems" data-testid={`problems-${node.id}`}>
          {problems.length === 1 ? '1 problem' : `${problems.length} problems`}
        </div>
      )}
      {runStatus !== null && <div className="step__run">{runStatus}</div>}
      <div className="step__ports">
        {ports.map((port, index) => (
          <div
            key={port.name}
            className={`step__port step__port--${port.state}`}
            style={{
              left: `${((index + 0.5) / ports.length) * 100}%`,
              width: `${100 / ports.length}%`,
            }}
            title={port.name}
          >
            <span className="step__port-name">{port.name}</span>
            <Handle
              type="source"
              id={port.name}
              position={Position.Bottom}
              className="step__out"
              data-testid={`port-${node.id}-${port.name}`}
            />
          </div>
        ))}
      </div>
    </div>
  );
});
