import { useCallback, useEffect, useState } from 'react';

import { errorMessage, isAbortError } from '../api/http';
import { usePolling } from '../hooks/usePolling';
import { cancelRun, listRuns, retryRun } from './api';
import type { RunOverlay } from './Canvas';
import { StepTimeline } from './StepTimeline';
import type { Run } from './types';
import { overlayOf, useRunWatch } from './useRunWatch';

const STATUSES = ['', 'queued', 'running', 'waiting', 'completed', 'failed', 'cancelled'];
const LIST_POLL_MS = 5000;

interface RunsPanelProps {
  workflowId: number;
  onOverlay: (overlay: RunOverlay | null) => void;
}

/** The workflow's runs; opening one draws its path on the graph. */
export function RunsPanel({ workflowId, onOverlay }: RunsPanelProps) {
  const [status, setStatus] = useState('');
  // Runs of one contact only, picked from a run of theirs.
  const [contact, setContact] = useState<{ id: number; label: string } | null>(null);
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [openId, setOpenId] = useState<number | null>(null);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      try {
        setRuns(
          await listRuns(
            { workflow: workflowId, status, contact: contact === null ? '' : String(contact.id) },
            signal,
          ),
        );
        setError(null);
      } catch (caught) {
        if (!isAbortError(caught)) {
          setError(errorMessage(caught));
        }
      }
    },
    [workflowId, status, contact],
  );
  usePolling(load, LIST_POLL_MS);

  return (
    <div className="runs">
      <div className="runs__filters">
        <label>
          Status{' '}
          <select
            value={status}
            onChange={(event) => setStatus(event.target.value)}
            data-testid="run-status-filter"
          >
            {STATUSES.map((name) => (
              <option key={name} value={name}>
                {name === '' ? 'Any' : name}
              </option>
            ))}
          </select>
        </label>
        {contact === null ? (
          <span className="runs__hint">Open a run to filter by its contact.</span>
        ) : (
          <span className="runs__contact" data-testid="run-contact-filter">
            Contact: {contact.label}{' '}
            <button type="button" onClick={() => setContact(null)} aria-label="Any contact">
              ×
            </button>
          </span>
        )}
      </div>
      {error !== null && <p role="alert">{error}</p>}
      {runs !== null && runs.length === 0 && <p>No runs match.</p>}
      <ul className="runs__list" data-testid="runs">
        {(runs ?? []).map((run) => (
          <li key={run.id}>
            <button
              type="button"
              className={`runs__item ${openId === run.id ? 'runs__item--open' : ''}`}
              onClick={() => setOpenId(openId === run.id ? null : run.id)}
              data-testid={`run-${run.id}`}
            >
              #{run.id} · {run.is_test ? 'test' : `v${run.version}`} · {run.contact_label} ·{' '}
              <span className={`runs__status runs__status--${run.status}`}>{run.status}</span>
              <span className="runs__when">{new Date(run.started_at).toLocaleString()}</span>
            </button>
          </li>
        ))}
      </ul>
      {openId !== null && (
        <RunDetailView
          runId={openId}
          onOverlay={onOverlay}
          onChanged={() => void load()}
          onPickContact={contact === null ? setContact : undefined}
        />
      )}
    </div>
  );
}

function RunDetailView({
  runId,
  onOverlay,
  onChanged,
  onPickContact,
}: {
  runId: number;
  onOverlay: (overlay: RunOverlay | null) => void;
  onChanged: () => void;
  onPickContact?: (contact: { id: number; label: string }) => void;
}) {
  const { run, error, refresh } = useRunWatch(runId);
  const [actionError, setActionError] = useState<string | null>(null);

  useEffect(() => {
    onOverlay(run === null ? null : overlayOf(run));
  }, [run, onOverlay]);
  useEffect(() => () => onOverlay(null), [onOverlay]);

  async function act(action: (id: number) => Promise<Run>) {
    setActionError(null);
    try {
      await action(runId);
      await refresh();
      onChanged();
    } catch (caught) {
      setActionError(errorMessage(caught));
    }
  }

  if (error !== null) {
    return <p role="alert">{error}</p>;
  }
  if (run === null) {
    return <p>Loading the run…</p>;
  }
  const active = ['queued', 'running', 'waiting'].includes(run.status);
  return (
    <section className="run-detail" data-testid="run-detail" aria-label={`Run ${run.id}`}>
      <p>
        Run #{run.id}: <strong data-testid="run-status">{run.status}</strong>
        {run.result !== '' && ` (${run.result})`}
      </p>
      {run.error !== '' && <p className="timeline__error">{run.error}</p>}
      <div className="run-detail__actions">
        {onPickContact !== undefined && (
          <button
            type="button"
            onClick={() => onPickContact({ id: run.contact, label: run.contact_label })}
          >
            Only {run.contact_label}’s runs
          </button>
        )}
        {run.status === 'failed' && (
          <button type="button" onClick={() => void act(retryRun)}>
            Retry the failed step
          </button>
        )}
        {active && (
          <button type="button" onClick={() => void act(cancelRun)}>
            Cancel the run
          </button>
        )}
      </div>
      {actionError !== null && <p role="alert">{actionError}</p>}
      <StepTimeline run={run} />
    </section>
  );
}
