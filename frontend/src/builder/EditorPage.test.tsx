import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { StrictMode } from 'react';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { fakeFetch, jsonResponse, type FakeRequest } from '../test/fakeFetch';
import { installReactFlowStubs } from '../test/reactFlow';
import { EditorPage } from './EditorPage';
import { kinds } from './form/testKinds';
import type { Graph, GraphNode, Problem, Workflow } from './types';

beforeAll(installReactFlowStubs);

const WORKFLOW_ID = 7;
const API = `/api/workflows/${WORKFLOW_ID}`;

// A trigger, an agent step with one outcome that leads to an end step.
function draft(): Graph {
  return {
    nodes: [
      { id: 'start', kind: 'trigger', config: { type: 'manual' }, position: { x: 0, y: 0 } },
      {
        id: 'ask',
        kind: 'agent_sms',
        label: 'Ask',
        config: { goal: 'Book a visit', outcomes: [{ name: 'booked' }] },
        position: { x: 0, y: 150 },
      },
      { id: 'done', kind: 'end', label: 'Done', config: {}, position: { x: 0, y: 300 } },
    ],
    edges: [
      { source: 'start', port: 'next', target: 'ask' },
      { source: 'ask', port: 'booked', target: 'done' },
    ],
  };
}

function workflow(graph: Graph, revision: number): Workflow {
  return {
    id: WORKFLOW_ID,
    name: 'Book a visit',
    description: '',
    status: 'active',
    active_run_policy: 'skip',
    published_version: null,
    trigger_type: 'manual',
    hook_url: null,
    draft: graph,
    draft_revision: revision,
    runs_last_7_days: 0,
    created_at: '2026-12-01T09:00:00Z',
    updated_at: '2026-12-01T09:00:00Z',
  };
}

interface Server {
  requests: FakeRequest[];
  // What the validate endpoint answers next.
  problems: Problem[];
  // The status the draft PUT answers with.
  saveStatus: number;
  // While set, draft saves wait for it before answering.
  saveGate: Promise<void> | null;
}

/** Serve the endpoints the editor calls, saving drafts like the server does. */
function serve(): Server {
  const server: Server = { requests: [], problems: [], saveStatus: 200, saveGate: null };
  const variables = Object.fromEntries(
    ['start', 'ask', 'done'].map((id) => [
      `GET ${API}/variables/?node=${id}`,
      () => jsonResponse(200, []),
    ]),
  );
  const { requests } = fakeFetch({
    [`GET ${API}/`]: () => jsonResponse(200, workflow(draft(), 3)),
    'GET /api/node-kinds/': () => jsonResponse(200, kinds),
    [`POST ${API}/validate/`]: () => jsonResponse(200, server.problems),
    [`PUT ${API}/draft/`]: async (request) => {
      await server.saveGate;
      if (server.saveStatus === 409) {
        return jsonResponse(409, {
          code: 'conflict',
          detail:
            'Someone else saved this workflow since you opened it. Reload to see their changes.',
        });
      }
      const { graph, revision } = request.body as { graph: Graph; revision: number };
      return jsonResponse(200, workflow(graph, revision + 1));
    },
    ...variables,
  });
  server.requests = requests;
  return server;
}

function saves(server: Server): { graph: Graph; revision: number }[] {
  return server.requests
    .filter((request) => request.method === 'PUT')
    .map((request) => request.body as { graph: Graph; revision: number });
}

function stepIn(graph: Graph, id: string): GraphNode {
  const node = graph.nodes.find((candidate) => candidate.id === id);
  if (node === undefined) {
    throw new Error(`No step ${id} in the graph.`);
  }
  return node;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function openEditor() {
  const user = userEvent.setup();
  render(
    <StrictMode>
      <div style={{ width: 1200, height: 800 }}>
        <EditorPage workflowId={WORKFLOW_ID} />
      </div>
    </StrictMode>,
  );
  await screen.findByTestId('editor');
  await screen.findByTestId('step-ask');
  return user;
}

/** Select a step the way a click on the canvas does. */
function selectStep(id: string) {
  // React Flow selects on click; user-event's mousedown would also start
  // d3-drag, which needs a real window on the event.
  fireEvent.click(screen.getByTestId(`step-${id}`));
  return screen.getByTestId('inspector');
}

function control(path: string): HTMLElement {
  const element = screen
    .getByTestId('inspector')
    .querySelector<HTMLElement>(`[data-field-path="${path}"]`);
  if (element === null) {
    throw new Error(`No control for ${path}.`);
  }
  return element;
}

function portsOnCanvas(id: string): string[] {
  const ports = screen.getByTestId(`step-${id}`).querySelectorAll('.step__port-name');
  return [...ports].map((port) => port.textContent ?? '');
}

function portsInInspector(): string[] {
  return within(screen.getByTestId('inspector'))
    .queryAllByTestId(/^route-/)
    .map((select) => select.getAttribute('data-testid')!.slice('route-'.length));
}

function stepLabel(id: string): string {
  return screen.getByTestId(`step-${id}`).querySelector('.step__label')?.textContent ?? '';
}

const undoButton = () => screen.getByRole('button', { name: 'Undo' });
const redoButton = () => screen.getByRole('button', { name: 'Redo' });

describe('EditorPage', () => {
  let server: Server;

  beforeEach(() => {
    server = serve();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  describe('ports of an agent step follow its outcomes', () => {
    it('adds a port for a new outcome', async () => {
      const user = await openEditor();
      selectStep('ask');
      expect(portsOnCanvas('ask')).toEqual(['booked', 'timeout', 'handoff', 'opted_out']);

      await user.click(screen.getByRole('button', { name: 'Add outcome' }));
      await user.type(control('config.outcomes.1.name'), 'declined');

      expect(portsOnCanvas('ask')).toEqual([
        'booked',
        'declined',
        'timeout',
        'handoff',
        'opted_out',
      ]);
      expect(portsInInspector()).toEqual(['booked', 'declined', 'timeout', 'handoff', 'opted_out']);
      expect(screen.getByTestId('route-declined')).toHaveDisplayValue('Not connected');
    });

    it('renames the port of a renamed outcome and drops the edge from the old name', async () => {
      const user = await openEditor();
      selectStep('ask');
      expect(screen.getByTestId('route-booked')).toHaveDisplayValue('Done');

      await user.clear(control('config.outcomes.0.name'));
      await user.type(control('config.outcomes.0.name'), 'confirmed');

      expect(portsOnCanvas('ask')).toEqual(['confirmed', 'timeout', 'handoff', 'opted_out']);
      expect(screen.queryByTestId('route-booked')).not.toBeInTheDocument();
      expect(screen.getByTestId('route-confirmed')).toHaveDisplayValue('Not connected');
      expect(screen.getByTestId('port-ask-confirmed').parentElement).toHaveClass(
        'step__port--open',
      );

      // The saved draft has no edge left from a port that is gone.
      await waitFor(() => expect(saves(server)).toHaveLength(1), { timeout: 2000 });
      expect(saves(server)[0]!.graph.edges).toEqual([
        { source: 'start', port: 'next', target: 'ask' },
      ]);
    });

    it('keeps the edge of an outcome renamed by typing over its name', async () => {
      const user = await openEditor();
      selectStep('ask');

      await user.tripleClick(control('config.outcomes.0.name'));
      await user.keyboard('confirmed');

      expect(portsOnCanvas('ask')).toEqual(['confirmed', 'timeout', 'handoff', 'opted_out']);
      expect(screen.getByTestId('route-confirmed')).toHaveDisplayValue('Done');
      await waitFor(() => expect(saves(server)).toHaveLength(1), { timeout: 2000 });
      expect(saves(server)[0]!.graph.edges).toContainEqual({
        source: 'ask',
        port: 'confirmed',
        target: 'done',
      });
    });

    it('removes the port of a removed outcome', async () => {
      const user = await openEditor();
      selectStep('ask');
      await user.click(screen.getByRole('button', { name: 'Add outcome' }));
      await user.type(control('config.outcomes.1.name'), 'declined');

      await user.click(screen.getByRole('button', { name: 'Remove outcome 1' }));

      expect(portsOnCanvas('ask')).toEqual(['declined', 'timeout', 'handoff', 'opted_out']);
      expect(portsInInspector()).toEqual(['declined', 'timeout', 'handoff', 'opted_out']);
    });
  });

  describe('undo and redo', () => {
    it('undoes and redoes a label edit with the toolbar buttons', async () => {
      const user = await openEditor();
      selectStep('ask');
      expect(undoButton()).toBeDisabled();

      await user.type(screen.getByTestId('node-label'), ' for a visit');
      expect(stepLabel('ask')).toBe('Ask for a visit');

      await user.click(undoButton());
      expect(stepLabel('ask')).toBe('Ask');
      expect(screen.getByTestId('node-label')).toHaveValue('Ask');
      expect(undoButton()).toBeDisabled();

      await user.click(redoButton());
      expect(stepLabel('ask')).toBe('Ask for a visit');
      expect(screen.getByTestId('node-label')).toHaveValue('Ask for a visit');
      expect(redoButton()).toBeDisabled();
    });

    it('undoes and redoes a form edit with Mod+Z and Mod+Shift+Z', async () => {
      const user = await openEditor();
      selectStep('ask');
      await user.type(control('config.goal'), ' this week');

      // Inside a field the browser's own undo applies, not the editor's.
      await user.keyboard('{Control>}z{/Control}');
      expect(control('config.goal')).toHaveValue('Book a visit this week');

      control('config.goal').blur();
      await user.keyboard('{Control>}z{/Control}');
      expect(control('config.goal')).toHaveValue('Book a visit');

      await user.keyboard('{Control>}{Shift>}z{/Shift}{/Control}');
      expect(control('config.goal')).toHaveValue('Book a visit this week');
    });

    it('undoes an outcome rename in one step, bringing back its edge', async () => {
      const user = await openEditor();
      selectStep('ask');

      await user.clear(control('config.outcomes.0.name'));
      await user.type(control('config.outcomes.0.name'), 'confirmed');
      expect(screen.getByTestId('route-confirmed')).toHaveDisplayValue('Not connected');

      await user.click(undoButton());

      expect(control('config.outcomes.0.name')).toHaveValue('booked');
      expect(portsOnCanvas('ask')).toEqual(['booked', 'timeout', 'handoff', 'opted_out']);
      expect(screen.getByTestId('route-booked')).toHaveDisplayValue('Done');
      expect(undoButton()).toBeDisabled();
    });

    it('makes one undo step of typing in a burst, and another after a pause', async () => {
      // Only the clock is faked: edits are grouped by when they happen.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('2026-12-04T10:00:00Z'));
      const user = await openEditor();
      selectStep('ask');
      const label = screen.getByTestId('node-label');

      await user.type(label, ' now');
      vi.setSystemTime(new Date('2026-12-04T10:00:05Z'));
      await user.type(label, ' please');
      expect(label).toHaveValue('Ask now please');

      await user.click(undoButton());
      expect(label).toHaveValue('Ask now');
      await user.click(undoButton());
      expect(label).toHaveValue('Ask');
      expect(undoButton()).toBeDisabled();
    });

    it('deletes the selected step with the Delete key and undoes it back', async () => {
      const user = await openEditor();
      selectStep('ask');

      await user.keyboard('{Delete}');

      expect(screen.queryByTestId('step-ask')).not.toBeInTheDocument();
      expect(screen.queryByTestId('inspector')).not.toBeInTheDocument();
      expect(screen.getByTestId('port-start-next').parentElement).toHaveClass('step__port--open');

      await user.click(undoButton());

      expect(screen.getByTestId('step-ask')).toBeInTheDocument();
      expect(screen.getByTestId('port-start-next').parentElement).toHaveClass(
        'step__port--connected',
      );
      expect(screen.getByTestId('port-ask-booked').parentElement).toHaveClass(
        'step__port--connected',
      );
    });
  });

  describe('the settings form in the editor', () => {
    it('saves a form edit with the revision it was loaded at', async () => {
      const user = await openEditor();
      selectStep('ask');
      expect(screen.getByTestId('save-status')).toHaveTextContent('All changes saved');

      await user.type(control('config.max_turns'), '12');
      expect(screen.getByTestId('save-status')).toHaveTextContent('Unsaved changes');

      await waitFor(() => expect(saves(server)).toHaveLength(1), { timeout: 2000 });
      const [saved] = saves(server);
      expect(saved!.revision).toBe(3);
      expect(stepIn(saved!.graph, 'ask').config).toEqual({
        goal: 'Book a visit',
        outcomes: [{ name: 'booked' }],
        max_turns: 12,
      });
      await waitFor(() =>
        expect(screen.getByTestId('save-status')).toHaveTextContent('All changes saved'),
      );

      // The next save names the revision the last one made.
      await user.type(control('config.goal'), ' soon');
      await waitFor(() => expect(saves(server)).toHaveLength(2), { timeout: 2000 });
      expect(saves(server)[1]!.revision).toBe(4);
      expect(stepIn(saves(server)[1]!.graph, 'ask').config.goal).toBe('Book a visit soon');
    });

    it('shows a problem found after a save on its step and at its field', async () => {
      const user = await openEditor();
      selectStep('ask');
      expect(screen.queryByTestId('problems-ask')).not.toBeInTheDocument();

      server.problems = [
        {
          code: 'invalid_config',
          message: 'The goal is required.',
          node: 'ask',
          field: 'config.goal',
        },
      ];
      await user.clear(control('config.goal'));

      expect(await screen.findByTestId('problems-ask', {}, { timeout: 2000 })).toHaveTextContent(
        '1 problem',
      );
      expect(
        within(screen.getByTestId('config.goal')).getByTestId('field-problems'),
      ).toHaveTextContent('The goal is required.');
      expect(control('config.goal')).toHaveAttribute('aria-invalid', 'true');
      expect(screen.getByTestId('problem-count')).toHaveTextContent('1 problem');
    });
  });

  describe('autosave after an undo', () => {
    it('says all is saved once an edit is undone before it was saved', async () => {
      const user = await openEditor();
      selectStep('ask');
      await user.type(screen.getByTestId('node-label'), '!');
      expect(screen.getByTestId('save-status')).toHaveTextContent('Unsaved changes');

      await user.click(undoButton());

      expect(screen.getByTestId('save-status')).toHaveTextContent('All changes saved');
    });

    it('saves an undo made while the edit it undoes was being saved', async () => {
      const user = await openEditor();
      selectStep('ask');
      let answerSave = () => {};
      server.saveGate = new Promise((resolve) => {
        answerSave = resolve;
      });
      await user.type(screen.getByTestId('node-label'), '!');
      await waitFor(() => expect(saves(server)).toHaveLength(1), { timeout: 2000 });
      expect(screen.getByTestId('save-status')).toHaveTextContent('Saving…');

      await user.click(undoButton());
      answerSave();

      // The server must not keep the label the editor no longer shows.
      await waitFor(() => expect(saves(server)).toHaveLength(2), { timeout: 2000 });
      expect(saves(server).map((saved) => stepIn(saved.graph, 'ask').label)).toEqual([
        'Ask!',
        'Ask',
      ]);
      await waitFor(() =>
        expect(screen.getByTestId('save-status')).toHaveTextContent('All changes saved'),
      );
    });
  });

  describe('a save conflict', () => {
    it('stops saving and offers to reload', async () => {
      const user = await openEditor();
      selectStep('ask');
      server.saveStatus = 409;

      await user.type(screen.getByTestId('node-label'), '!');

      const banner = await screen.findByTestId('conflict', {}, { timeout: 2000 });
      expect(banner).toHaveTextContent('Someone else saved this workflow since you opened it.');
      expect(within(banner).getByRole('button', { name: 'Reload' })).toBeInTheDocument();
      expect(screen.getByTestId('save-status')).toHaveTextContent(
        'Not saved: someone else saved first',
      );
      expect(screen.getByRole('button', { name: 'Publish…' })).toBeDisabled();

      // Saving again would overwrite the other person's draft.
      await user.type(screen.getByTestId('node-label'), '?');
      await pause(1000);
      expect(saves(server)).toHaveLength(1);
    });
  });
});
