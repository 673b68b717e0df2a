import { useEffect, useState } from 'react';

import { errorMessage } from '../api/http';
import { placeMissedCall, sendMessage, type Thread } from '../simulator/api';
import { Handset } from '../simulator/Handset';
import { useThread } from '../simulator/hooks/useThread';
import { useThreadList } from '../simulator/hooks/useThreadList';
import { NewContactForm } from '../simulator/NewContactForm';
import { runAgentTests, startTestRun, type AgentTestReport } from './api';
import type { RunOverlay } from './Canvas';
import { StepTimeline } from './StepTimeline';
import { overlayOf, useRunWatch } from './useRunWatch';

interface TestPanelProps {
  workflowId: number;
  beforeStart: () => Promise<void>;
  onOverlay: (overlay: RunOverlay | null) => void;
}

/**
 * Run the draft for a test contact whose phone is simulated by the local
 * carrier, chat as that contact, and watch the run's path on the graph.
 */
export function TestPanel({ workflowId, beforeStart, onOverlay }: TestPanelProps) {
  const threadList = useThreadList();
  const [contactId, setContactId] = useState<number | null>(null);
  const [payload, setPayload] = useState('{}');
  const [runId, setRunId] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const thread = useThread(contactId);
  const { run } = useRunWatch(runId);

  useEffect(() => {
    onOverlay(run === null ? null : overlayOf(run));
  }, [run, onOverlay]);
  useEffect(() => () => onOverlay(null), [onOverlay]);

  async function start() {
    if (contactId === null) {
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload || '{}');
    } catch {
      setError('The trigger payload is not valid JSON.');
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      setError('The trigger payload must be a JSON object, like {"form": {"message": "Hi"}}.');
      return;
    }
    setStarting(true);
    setError(null);
    try {
      await beforeStart();
      const started = await startTestRun(workflowId, contactId, parsed as Record<string, unknown>);
      setRunId(started.id);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setStarting(false);
    }
  }

  function onCreated(created: Thread) {
    setContactId(created.contact_id);
    void threadList.refresh();
  }

  return (
    <div className="test-panel">
      <label className="test-panel__field">
        <span>Test contact</span>
        <select
          value={contactId ?? ''}
          onChange={(event) =>
            setContactId(event.target.value === '' ? null : Number(event.target.value))
          }
          data-testid="test-contact"
        >
          <option value="">Choose a contact…</option>
          {(threadList.threads ?? []).map((summary) => (
            <option key={summary.contact_id} value={summary.contact_id}>
              {summary.name || summary.phone} ({summary.phone})
            </option>
          ))}
        </select>
      </label>
      <details className="test-panel__new">
        <summary>New test contact</summary>
        <NewContactForm onCreated={onCreated} />
      </details>
      <label className="test-panel__field">
        <span>Trigger payload (JSON)</span>
        <textarea
          rows={3}
          value={payload}
          onChange={(event) => setPayload(event.target.value)}
          data-testid="test-payload"
        />
      </label>
      <button
        type="button"
        className="editor__primary"
        onClick={() => void start()}
        disabled={contactId === null || starting}
        data-testid="start-test"
      >
        {starting ? 'Starting…' : runId === null ? 'Run the draft' : 'Restart the test'}
      </button>
      {error !== null && <p role="alert">{error}</p>}
      {run !== null && (
        <p className="test-panel__status">
          Test run #{run.id}: <strong data-testid="test-run-status">{run.status}</strong>
          {run.result !== '' && ` (${run.result})`}
        </p>
      )}
      {contactId !== null && (
        <div className="test-panel__handset">
          <Handset
            contactId={contactId}
            thread={thread.thread}
            loadError={thread.error}
            onSend={async (body) => {
              await sendMessage(contactId, body);
              void thread.refresh();
            }}
            onMissedCall={async () => {
              await placeMissedCall(contactId);
              void thread.refresh();
            }}
          />
        </div>
      )}
      {run !== null && <StepTimeline run={run} />}
      <AgentTests workflowId={workflowId} beforeStart={beforeStart} />
    </div>
  );
}

function AgentTests({
  workflowId,
  beforeStart,
}: {
  workflowId: number;
  beforeStart: () => Promise<void>;
}) {
  const [report, setReport] = useState<AgentTestReport | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function runTests() {
    setBusy(true);
    setError(null);
    try {
      await beforeStart();
      setReport(await runAgentTests(workflowId));
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="agent-tests" aria-label="Agent test conversations">
      <h3>Agent test conversations</h3>
      <button type="button" onClick={() => void runTests()} disabled={busy}>
        {busy ? 'Running…' : 'Run agent tests'}
      </button>
      {error !== null && <p role="alert">{error}</p>}
      {report !== null && (
        <>
          <p data-testid="agent-test-summary">
            {report.passed} passed, {report.failed} failed
          </p>
          <ul className="agent-tests__list">
            {report.results.map((result) => (
              <li key={`${result.node_id}-${result.name}`}>
                <details>
                  <summary className={result.passed ? 'agent-tests--pass' : 'agent-tests--fail'}>
                    {result.passed ? 'Pass' : 'Fail'}: {result.name} ({result.node_id} →{' '}
                    {result.port || 'no outcome'})
                  </summary>
                  {result.problems.map((problem) => (
                    <p key={problem} className="timeline__error">
                      {problem}
                    </p>
                  ))}
                  <ol className="agent-tests__transcript">
                    {result.transcript.map((line, index) => (
                      <li key={index} className={`agent-tests__line--${line.from}`}>
                        <strong>{line.from === 'agent' ? 'Agent' : 'Contact'}:</strong> {line.text}
                      </li>
                    ))}
                  </ol>
                </details>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
