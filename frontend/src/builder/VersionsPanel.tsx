import { useEffect, useState } from 'react';

import { errorMessage } from '../api/http';
import { getWorkflow, listVersions, rollback } from './api';
import type { Version, Workflow } from './types';

interface VersionsPanelProps {
  workflow: Workflow;
  onRolledBack: (workflow: Workflow) => void;
}

/** Published versions, newest first, each one a possible rollback target. */
export function VersionsPanel({ workflow, onRolledBack }: VersionsPanelProps) {
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<number | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    listVersions(workflow.id, controller.signal)
      .then(setVersions)
      .catch((failure: unknown) => {
        if (!controller.signal.aborted) {
          setError(errorMessage(failure));
        }
      });
    return () => controller.abort();
  }, [workflow.id, workflow.published_version]);

  async function restore(number: number) {
    if (!window.confirm(`Publish v${number} again as the newest version?`)) {
      return;
    }
    setBusy(number);
    setError(null);
    try {
      await rollback(workflow.id, number);
      onRolledBack(await getWorkflow(workflow.id));
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(null);
    }
  }

  if (error !== null) {
    return <p role="alert">{error}</p>;
  }
  if (versions === null) {
    return <p>Loading versions…</p>;
  }
  if (versions.length === 0) {
    return <p>Not published yet. Publishing freezes the draft as v1.</p>;
  }
  return (
    <ol className="versions" data-testid="versions">
      {versions.map((version) => (
        <li key={version.number} className="versions__item">
          <strong>v{version.number}</strong>
          {version.number === workflow.published_version && (
            <span className="versions__current"> current</span>
          )}
          <div className="versions__meta">
            {new Date(version.published_at).toLocaleString()}
            {version.published_by !== null && ` by ${version.published_by}`}
            {version.rolled_back_from !== null && ` · copy of v${version.rolled_back_from}`}
          </div>
          {version.number !== workflow.published_version && (
            <button
              type="button"
              onClick={() => void restore(version.number)}
              disabled={busy !== null}
            >
              {busy === version.number ? 'Rolling back…' : `Roll back to v${version.number}`}
            </button>
          )}
        </li>
      ))}
    </ol>
  );
}
