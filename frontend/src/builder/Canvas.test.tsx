import { ReactFlowProvider } from '@xyflow/react';
import { render, screen } from '@testing-library/react';
import { beforeAll, describe, expect, it, vi } from 'vitest';

import { installReactFlowStubs } from '../test/reactFlow';
import { Canvas } from './Canvas';
import { KINDS } from './testKinds';
import type { Graph, Problem } from './types';

beforeAll(installReactFlowStubs);

function agentGraph(outcomes: string[]): Graph {
  return {
    nodes: [
      { id: 'start', kind: 'trigger', config: { type: 'manual' }, position: { x: 0, y: 0 } },
      {
        id: 'ask',
        kind: 'agent_sms',
        label: 'Ask',
        config: { outcomes: outcomes.map((name) => ({ name })) },
        position: { x: 0, y: 150 },
      },
    ],
    edges: [
      { source: 'start', port: 'next', target: 'ask' },
      { source: 'ask', port: 'opted_out', target: null },
    ],
  };
}

function canvas(graph: Graph, problems: Problem[] = []) {
  return (
    <ReactFlowProvider>
      <div style={{ width: 800, height: 600 }}>
        <Canvas
          graph={graph}
          kinds={KINDS}
          problems={problems}
          overlay={null}
          selection={{ nodes: [], edges: [] }}
          onEdit={vi.fn()}
          onSelect={vi.fn()}
        />
      </div>
    </ReactFlowProvider>
  );
}

describe('Canvas', () => {
  it('gives an agent step one port per outcome, then its own', () => {
    render(canvas(agentGraph(['booked', 'declined'])));

    const ports = screen.getByTestId('step-ask').querySelectorAll<HTMLElement>('.step__port-name');
    expect([...ports].map((port) => port.textContent)).toEqual([
      'booked',
      'declined',
      'timeout',
      'handoff',
      'opted_out',
    ]);
    expect(screen.getByTestId('port-ask-booked')).toBeInTheDocument();
  });

  it('follows the outcome schema as it is edited', () => {
    const { rerender } = render(canvas(agentGraph(['booked'])));
    expect(screen.getByTestId('port-ask-booked')).toBeInTheDocument();

    rerender(canvas(agentGraph(['confirmed', 'rescheduled'])));

    expect(screen.queryByTestId('port-ask-booked')).not.toBeInTheDocument();
    expect(screen.getByTestId('port-ask-confirmed')).toBeInTheDocument();
    expect(screen.getByTestId('port-ask-rescheduled')).toBeInTheDocument();
  });

  it('marks open, connected and ending ports differently', () => {
    render(canvas(agentGraph(['booked'])));

    const port = (name: string) => screen.getByTestId(`port-ask-${name}`).parentElement!;
    expect(port('booked')).toHaveClass('step__port--open');
    expect(port('opted_out')).toHaveClass('step__port--ends');
    expect(screen.getByTestId('port-start-next').parentElement!).toHaveClass(
      'step__port--connected',
    );
  });

  it('shows each step’s problems on it', () => {
    render(
      canvas(agentGraph(['booked']), [
        {
          code: 'invalid_config',
          message: 'The goal is required.',
          node: 'ask',
          field: 'config.goal',
        },
        { code: 'port_not_connected', message: 'Connect booked.', node: 'ask', field: null },
      ]),
    );

    expect(screen.getByTestId('problems-ask')).toHaveTextContent('2 problems');
    expect(screen.queryByTestId('problems-start')).not.toBeInTheDocument();
  });
});
