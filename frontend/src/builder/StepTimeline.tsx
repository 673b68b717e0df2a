import type { RunDetail } from './types';

/** A run's steps in order, with what each read, produced and how long it took. */
export function StepTimeline({ run }: { run: RunDetail }) {
  const ordered = [...run.steps].sort((a, b) => a.id - b.id);
  return (
    <ol className="timeline" data-testid="step-timeline">
      {ordered.map((step) => (
        <li key={step.id} className={`timeline__step timeline__step--${step.status}`}>
          <details>
            <summary>
              <code>{step.node_id}</code> {step.status}
              {step.port ? ` → ${step.port}` : ''}
              {step.attempt > 1 ? ` (attempt ${step.attempt})` : ''}
              <span className="timeline__time">{duration(step.started_at, step.finished_at)}</span>
            </summary>
            {step.error !== '' && <p className="timeline__error">{step.error}</p>}
            <Json label="Input" value={step.input} />
            <Json label="Output" value={step.output} />
            <p className="timeline__meta">
              Created {formatTime(step.created_at)}
              {step.started_at && ` · started ${formatTime(step.started_at)}`}
              {step.finished_at && ` · finished ${formatTime(step.finished_at)}`}
              {step.due_at && ` · due ${formatTime(step.due_at)}`}
            </p>
          </details>
        </li>
      ))}
    </ol>
  );
}

function Json({ label, value }: { label: string; value: unknown }) {
  if (value === null || value === undefined || (isEmptyObject(value) && label === 'Input')) {
    return null;
  }
  return (
    <>
      <h4 className="timeline__label">{label}</h4>
      <pre className="timeline__json">{JSON.stringify(value, null, 2)}</pre>
    </>
  );
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

function formatTime(iso: string): string {
  return new Date(iso).toLocaleTimeString();
}

function duration(start: string | null, end: string | null): string {
  if (start === null || end === null) {
    return '';
  }
  const ms = new Date(end).getTime() - new Date(start).getTime();
  return ms < 1000 ? ` ${ms} ms` : ` ${(ms / 1000).toFixed(1)} s`;
}
