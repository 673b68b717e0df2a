import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';

import { errorMessage } from '../api/http';
import { getNodeKinds, getWorkflow, updateWorkflow, validateDraft } from './api';
import { Canvas, fitGraph, type RunOverlay, type Selection } from './Canvas';
import { focusField } from './form';
import { duplicate, layout, newNode, pruneEdges, removeElements, replaceNode } from './graph';
import { historyReducer, initialHistory } from './history';
import { Inspector } from './Inspector';
import { Palette } from './Palette';
import { ProblemsPanel } from './ProblemsPanel';
import { PublishDialog } from './PublishDialog';
import { RunsPanel } from './RunsPanel';
import { commandFor, SHORTCUTS, type Command } from './shortcuts';
import { TestPanel } from './TestPanel';
import type { Graph, GraphNode, NodeKinds, Problem, Workflow } from './types';
import { useAutosave, type SaveState } from './useAutosave';
import { VersionsPanel } from './VersionsPanel';
import './EditorPage.css';

const CLIPBOARD_KEY = 'thoughtflow.builder.clipboard';
const NO_SELECTION: Selection = { nodes: [], edges: [] };

type Tab = 'step' | 'problems' | 'test' | 'runs' | 'versions';

/** The workflow editor: loads the workflow and the node kinds, then edits. */
export function EditorPage({ workflowId }: { workflowId: number }) {
  const [loaded, setLoaded] = useState<{ workflow: Workflow; kinds: NodeKinds } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    Promise.all([getWorkflow(workflowId, controller.signal), getNodeKinds(controller.signal)])
      .then(([workflow, kinds]) => setLoaded({ workflow, kinds }))
      .catch((failure: unknown) => {
        if (!controller.signal.aborted) {
          setError(errorMessage(failure));
        }
      });
    return () => controller.abort();
  }, [workflowId]);

  if (error !== null) {
    return (
      <p className="editor__error" role="alert">
        {error}
      </p>
    );
  }
  if (loaded === null) {
    return <p className="editor__loading">Loading the workflow…</p>;
  }
  return (
    <ReactFlowProvider>
      <Editor initial={loaded.workflow} kinds={loaded.kinds} />
    </ReactFlowProvider>
  );
}

function Editor({ initial, kinds }: { initial: Workflow; kinds: NodeKinds }) {
  const flow = useReactFlow();
  const [history, dispatch] = useReducer(historyReducer, initial.draft, initialHistory);
  const graph = history.present;
  const [workflow, setWorkflow] = useState(initial);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [selection, setSelection] = useState<Selection>(NO_SELECTION);
  const [tab, setTab] = useState<Tab>('step');
  const [overlay, setOverlay] = useState<RunOverlay | null>(null);
  const [publishing, setPublishing] = useState(false);
  const [showHelp, setShowHelp] = useState(false);
  const pasteCount = useRef(0);

  // Answers can arrive out of order; only the latest request's is shown.
  const validation = useRef<AbortController | null>(null);
  const refreshProblems = useCallback(() => {
    validation.current?.abort();
    const controller = new AbortController();
    validation.current = controller;
    validateDraft(initial.id, controller.signal)
      .then(setProblems)
      .catch(() => {
        // Validation is advisory while editing; publishing checks again.
      });
  }, [initial.id]);

  useEffect(refreshProblems, [refreshProblems]);

  const onSaved = useCallback(
    (saved: Workflow) => {
      setWorkflow(saved);
      refreshProblems();
    },
    [refreshProblems],
  );
  const { state: saveState, saveNow } = useAutosave(initial, graph, onSaved);

  const edit = useCallback(
    (next: Graph, key?: string) => dispatch({ type: 'edit', graph: pruneEdges(next, kinds), key }),
    [kinds],
  );

  const selectedNode = useMemo<GraphNode | null>(
    () =>
      selection.nodes.length === 1
        ? (graph.nodes.find((node) => node.id === selection.nodes[0]) ?? null)
        : null,
    [graph.nodes, selection.nodes],
  );

  const addNode = useCallback(
    (kind: string) => {
      const { x, y, zoom } = flow.getViewport();
      const pane = document.querySelector('.canvas')?.getBoundingClientRect();
      const centre = {
        x: ((pane?.width ?? 800) / 2 - x) / zoom - 110,
        y: ((pane?.height ?? 600) / 2 - y) / zoom - 40,
      };
      const node = newNode(
        kind,
        kinds,
        centre,
        graph.nodes.map((n) => n.id),
      );
      edit({ nodes: [...graph.nodes, node], edges: graph.edges });
      setSelection({ nodes: [node.id], edges: [] });
      setTab('step');
    },
    [edit, flow, graph, kinds],
  );

  const copySelection = useCallback((): boolean => {
    const chosen = new Set(selection.nodes);
    const nodes = graph.nodes.filter(
      (node) => chosen.has(node.id) && !kinds[node.kind]?.is_trigger,
    );
    if (nodes.length === 0) {
      return false;
    }
    const edges = graph.edges.filter(
      (edge) => chosen.has(edge.source) && edge.target !== null && chosen.has(edge.target),
    );
    window.localStorage.setItem(CLIPBOARD_KEY, JSON.stringify({ nodes, edges }));
    pasteCount.current = 0;
    return true;
  }, [graph, kinds, selection.nodes]);

  const paste = useCallback(
    (copied: Graph) => {
      pasteCount.current += 1;
      const offset = 40 * pasteCount.current;
      const pasted = duplicate(
        copied.nodes,
        copied.edges,
        graph.nodes.map((node) => node.id),
        { x: offset, y: offset },
      );
      edit({ nodes: [...graph.nodes, ...pasted.nodes], edges: [...graph.edges, ...pasted.edges] });
      setSelection({ nodes: pasted.nodes.map((node) => node.id), edges: [] });
    },
    [edit, graph],
  );

  const deleteSelection = useCallback(() => {
    if (selection.nodes.length === 0 && selection.edges.length === 0) {
      return;
    }
    edit(removeElements(graph, new Set(selection.nodes), new Set(selection.edges)));
    setSelection(NO_SELECTION);
  }, [edit, graph, selection]);

  const fitView = useCallback(
    (shown: Graph) => {
      const pane = document.querySelector('.canvas')?.getBoundingClientRect();
      if (pane !== undefined) {
        fitGraph(flow, shown, pane, 200);
      }
    },
    [flow],
  );

  const autoLayout = useCallback(() => {
    const positions = layout(graph);
    const arranged = {
      nodes: graph.nodes.map((node) => ({ ...node, position: positions.get(node.id) })),
      edges: graph.edges,
    };
    edit(arranged);
    fitView(arranged);
  }, [edit, fitView, graph]);

  const run = useCallback(
    (command: Command) => {
      switch (command) {
        case 'undo':
          dispatch({ type: 'undo' });
          return;
        case 'redo':
          dispatch({ type: 'redo' });
          return;
        case 'copy':
          copySelection();
          return;
        case 'cut':
          if (copySelection()) {
            deleteSelection();
          }
          return;
        case 'paste': {
          const stored = window.localStorage.getItem(CLIPBOARD_KEY);
          if (stored !== null) {
            paste(JSON.parse(stored) as Graph);
          }
          return;
        }
        case 'duplicate': {
          const chosen = new Set(selection.nodes);
          pasteCount.current = 0;
          paste({
            nodes: graph.nodes.filter(
              (node) => chosen.has(node.id) && !kinds[node.kind]?.is_trigger,
            ),
            edges: graph.edges,
          });
          return;
        }
        case 'selectAll':
          setSelection({ nodes: graph.nodes.map((node) => node.id), edges: [] });
          return;
        case 'delete':
          deleteSelection();
          return;
        case 'save':
          void saveNow();
          return;
        case 'fitView':
          fitView(graph);
          return;
        case 'layout':
          autoLayout();
          return;
        case 'zoomIn':
          void flow.zoomIn({ duration: 150 });
          return;
        case 'zoomOut':
          void flow.zoomOut({ duration: 150 });
          return;
        case 'deselect':
          setSelection(NO_SELECTION);
          return;
      }
    },
    [
      autoLayout,
      copySelection,
      deleteSelection,
      fitView,
      flow,
      graph,
      kinds,
      paste,
      saveNow,
      selection,
    ],
  );

  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      const command = commandFor(event);
      if (command !== null) {
        event.preventDefault();
        run(command);
      }
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [run]);

  const updateNode = useCallback(
    (updated: GraphNode, key: string) => {
      const before = graph.nodes.find((node) => node.id === updated.id);
      if (before !== undefined) {
        edit(replaceNode(graph, before, updated), key);
      }
    },
    [edit, graph],
  );

  function focusProblem(problem: Problem) {
    if (problem.node === null) {
      return;
    }
    setSelection({ nodes: [problem.node], edges: [] });
    setTab('step');
    const node = graph.nodes.find((n) => n.id === problem.node);
    if (node?.position !== undefined) {
      void flow.setCenter(node.position.x + 110, node.position.y + 40, {
        zoom: Math.max(flow.getZoom(), 0.8),
        duration: 200,
      });
    }
    if (problem.field !== null) {
      const path = problem.field;
      // The step's form renders on the next frame, once the tab has switched.
      window.setTimeout(() => {
        const panel = document.querySelector('[data-testid="inspector"]');
        if (panel !== null) {
          focusField(panel, path);
        }
      }, 50);
    }
  }

  async function rename(name: string) {
    if (name.trim() === '' || name === workflow.name) {
      return;
    }
    setWorkflow(await updateWorkflow(workflow.id, { name: name.trim() }));
  }

  const nodeProblems = problems.filter((problem) => problem.node === selectedNode?.id);
  const hasTrigger = graph.nodes.some((node) => kinds[node.kind]?.is_trigger);

  return (
    <div className="editor" data-testid="editor">
      <header className="editor__toolbar">
        <a href="/builder/" className="editor__back">
          ← Workflows
        </a>
        <input
          className="editor__name"
          aria-label="Workflow name"
          defaultValue={workflow.name}
          onBlur={(event) => void rename(event.target.value)}
        />
        <SaveStatus state={saveState} />
        <span className="editor__version" data-testid="published-version">
          {workflow.published_version === null
            ? 'Not published'
            : `Published v${workflow.published_version}`}
        </span>
        <div className="editor__actions">
          <button
            type="button"
            onClick={() => run('undo')}
            disabled={history.past.length === 0}
            title="Undo (Mod+Z)"
          >
            Undo
          </button>
          <button
            type="button"
            onClick={() => run('redo')}
            disabled={history.future.length === 0}
            title="Redo (Mod+Shift+Z)"
          >
            Redo
          </button>
          <button type="button" onClick={() => run('layout')} title="Auto-layout (L)">
            Arrange
          </button>
          <button type="button" onClick={() => run('fitView')} title="Fit view (F)">
            Fit
          </button>
          <button
            type="button"
            onClick={() => setShowHelp((shown) => !shown)}
            aria-expanded={showHelp}
          >
            Shortcuts
          </button>
          <button
            type="button"
            className={problems.length > 0 ? 'editor__problems-button--bad' : ''}
            onClick={() => setTab('problems')}
            data-testid="problem-count"
          >
            {problems.length === 0
              ? 'No problems'
              : problems.length === 1
                ? '1 problem'
                : `${problems.length} problems`}
          </button>
          <button
            type="button"
            className="editor__primary"
            onClick={() => {
              void saveNow().then(() => setPublishing(true));
            }}
            disabled={saveState.kind === 'conflict'}
          >
            Publish…
          </button>
        </div>
      </header>
      {saveState.kind === 'conflict' && (
        <div className="editor__conflict" role="alert" data-testid="conflict">
          {saveState.message}{' '}
          <button type="button" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      )}
      {showHelp && (
        <dl className="editor__help" aria-label="Keyboard shortcuts">
          {SHORTCUTS.map((shortcut) => (
            <div key={shortcut.command}>
              <dt>{shortcut.keys}</dt>
              <dd>{shortcut.label}</dd>
            </div>
          ))}
        </dl>
      )}
      <div className="editor__body">
        <Palette kinds={kinds} hasTrigger={hasTrigger} onAdd={addNode} />
        <Canvas
          graph={graph}
          kinds={kinds}
          problems={problems}
          overlay={overlay}
          selection={selection}
          onEdit={edit}
          onSelect={setSelection}
        />
        <aside className="editor__side">
          <nav className="editor__tabs" role="tablist">
            {(
              [
                ['step', 'Step'],
                ['problems', 'Problems'],
                ['test', 'Test'],
                ['runs', 'Runs'],
                ['versions', 'Versions'],
              ] as const
            ).map(([name, label]) => (
              <button
                key={name}
                type="button"
                role="tab"
                aria-selected={tab === name}
                onClick={() => setTab(name)}
                data-testid={`tab-${name}`}
              >
                {label}
              </button>
            ))}
          </nav>
          <div className="editor__panel">
            {tab === 'step' && (
              <Inspector
                workflowId={workflow.id}
                node={selectedNode}
                graph={graph}
                kinds={kinds}
                problems={nodeProblems}
                saved={saveState.kind === 'saved'}
                selectedCount={selection.nodes.length}
                onChange={updateNode}
                onEdit={edit}
              />
            )}
            {tab === 'problems' && <ProblemsPanel problems={problems} onPick={focusProblem} />}
            {tab === 'test' && (
              <TestPanel workflowId={workflow.id} beforeStart={saveNow} onOverlay={setOverlay} />
            )}
            {tab === 'runs' && <RunsPanel workflowId={workflow.id} onOverlay={setOverlay} />}
            {tab === 'versions' && (
              <VersionsPanel workflow={workflow} onRolledBack={(updated) => setWorkflow(updated)} />
            )}
          </div>
        </aside>
      </div>
      {publishing && (
        <PublishDialog
          workflow={workflow}
          draft={graph}
          kinds={kinds}
          onClose={() => setPublishing(false)}
          onPublished={(updated) => {
            setWorkflow(updated);
            setPublishing(false);
            refreshProblems();
          }}
          onPickProblem={(problem) => {
            setPublishing(false);
            focusProblem(problem);
          }}
        />
      )}
    </div>
  );
}

function SaveStatus({ state }: { state: SaveState }) {
  const text = {
    saved: 'All changes saved',
    dirty: 'Unsaved changes',
    saving: 'Saving…',
    conflict: 'Not saved: someone else saved first',
    error: state.kind === 'error' ? `Not saved: ${state.message}` : '',
  }[state.kind];
  return (
    <span className={`editor__save editor__save--${state.kind}`} data-testid="save-status">
      {text}
    </span>
  );
}
