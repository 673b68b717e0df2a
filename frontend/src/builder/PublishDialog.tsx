import { useEffect, useRef, useState } from 'react';

import { errorMessage } from '../api/http';
import { getWorkflow, listVersions, publish, validateDraft } from './api';
import { diffGraphs, isEmptyDiff, type GraphDiff } from './graph';
import type { Graph, GraphEdge, NodeKinds, Problem, Workflow } from './types';

interface PublishDialogProps {
  workflow: Workflow;
  draft: Graph;
  kinds: NodeKinds;
  onClose: () => void;
  onPublished: (workflow: Workflow) => void;
  onPickProblem: (problem: Problem) => void;
}

type Check =
  | { kind: 'checking' }
  | { kind: 'ready'; problems: Problem[]; diff: GraphDiff; previous: number | null }
  | { kind: 'failed'; message: string };

/** Check the draft, show what changed since the published version, publish. */
export function PublishDialog({
  workflow,
  draft,
  kinds,
  onClose,
  onPublished,
  onPickProblem,
}: PublishDialogProps) {
  const [check, setCheck] = useState<Check>({ kind: 'checking' });
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    dialog.current?.showModal?.();
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    Promise.all([
      validateDraft(workflow.id, controller.signal),
      listVersions(workflow.id, controller.signal),
    ])
      .then(([problems, versions]) => {
        const current = versions.find((v) => v.number === workflow.published_version);
        const diff = diffGraphs(current?.graph ?? { nodes: [], edges: [] }, draft);
        setCheck({ kind: 'ready', problems, diff, previous: current?.number ?? null });
      })
      .catch((error: unknown) => {
        if (!controller.signal.aborted) {
          setCheck({ kind: 'failed', message: errorMessage(error) });
        }
      });
    return () => controller.abort();
  }, [workflow.id, workflow.published_version, draft]);

  async function confirm() {
    setBusy(true);
    setFailure(null);
    try {
      await publish(workflow.id);
      onPublished(await getWorkflow(workflow.id));
    } catch (error) {
      setFailure(errorMessage(error));
    } finally {
      setBusy(false);
    }
  }

  const label = (id: string) => {
    const node = draft.nodes.find((n) => n.id === id);
    return node?.label || id;
  };
  const describeEdge = (edge: GraphEdge) =>
    `${label(edge.source)} → ${edge.port} → ${edge.target === null ? 'the end of the run' : label(edge.target)}`;

  return (
    <dialog ref={dialog} className="publish" aria-label="Publish" onCancel={onClose}>
      <h2>Publish {workflow.name}</h2>
      {check.kind === 'checking' && <p>Checking the draft…</p>}
      {check.kind === 'failed' && <p role="alert">{check.message}</p>}
      {check.kind === 'ready' && (
        <>
          {check.problems.length > 0 ? (
            <>
              <p role="alert">Fix these problems before publishing:</p>
              <ul className="publish__problems">
                {check.problems.map((problem, index) => (
                  <li key={index}>
                    <button type="button" onClick={() => onPickProblem(problem)}>
                      {problem.message}
                    </button>
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <Changes
              diff={check.diff}
              previous={check.previous}
              kinds={kinds}
              describeEdge={describeEdge}
            />
          )}
        </>
      )}
      {failure !== null && <p role="alert">{failure}</p>}
      <div className="publish__actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="editor__primary"
          onClick={() => void confirm()}
          disabled={busy || check.kind !== 'ready' || check.problems.length > 0}
          data-testid="confirm-publish"
        >
          {busy ? 'Publishing…' : `Publish as v${(workflow.published_version ?? 0) + 1}`}
        </button>
      </div>
    </dialog>
  );
}

function Changes({
  diff,
  previous,
  kinds,
  describeEdge,
}: {
  diff: GraphDiff;
  previous: number | null;
  kinds: NodeKinds;
  describeEdge: (edge: GraphEdge) => string;
}) {
  if (isEmptyDiff(diff)) {
    return <p>Nothing changed since v{previous}; publishing makes an identical version.</p>;
  }
  const since = previous === null ? 'This is the first version.' : `Changes since v${previous}:`;
  const step = (node: { id: string; kind: string; label?: string }) =>
    `${node.label || node.id} (${kinds[node.kind]?.label ?? node.kind})`;
  return (
    <div className="publish__diff" data-testid="publish-diff">
      <p>{since}</p>
      <ul>
        {diff.added.map((node) => (
          <li key={`a-${node.id}`} className="diff--added">
            Added {step(node)}
          </li>
        ))}
        {diff.changed.map((node) => (
          <li key={`c-${node.id}`} className="diff--changed">
            Changed {step(node)}
          </li>
        ))}
        {diff.removed.map((node) => (
          <li key={`r-${node.id}`} className="diff--removed">
            Removed {step(node)}
          </li>
        ))}
        {diff.connected.map((edge) => (
          <li key={`e-${edge.source}-${edge.port}`} className="diff--added">
            Connected {describeEdge(edge)}
          </li>
        ))}
        {diff.disconnected.map((edge) => (
          <li key={`d-${edge.source}-${edge.port}`} className="diff--removed">
            Disconnected {describeEdge(edge)}
          </li>
        ))}
      </ul>
    </div>
  );
}
