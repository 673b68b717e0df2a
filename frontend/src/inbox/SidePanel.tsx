import type { ConversationPanel } from './api';
import { formatMoment } from '../dates';
import { capitalize } from './format';

interface SidePanelProps {
  panel: ConversationPanel;
  viewers: string[];
  now: Date;
}

/** Who the contact is, what the AI has captured, and where the workflow is. */
export function SidePanel({ panel, viewers, now }: SidePanelProps) {
  const { contact, handoff, agent, run } = panel;
  const custom = Object.entries(contact.custom_fields ?? {});
  const outcomeFields = Object.entries(agent?.outcome_fields ?? {});

  return (
    <aside className="inbox-side" aria-label="Contact and workflow">
      {viewers.length > 0 && (
        <section data-testid="viewers">
          <h3>Also here</h3>
          <p>{viewers.join(', ')}</p>
        </section>
      )}
      <section>
        <h3>Contact</h3>
        <dl>
          <dt>Name</dt>
          <dd>{contact.name || '—'}</dd>
          <dt>Phone</dt>
          <dd>{contact.phone}</dd>
          {contact.email !== '' && (
            <>
              <dt>Email</dt>
              <dd>{contact.email}</dd>
            </>
          )}
          <dt>Time zone</dt>
          <dd>{contact.time_zone || '—'}</dd>
          {contact.tags.length > 0 && (
            <>
              <dt>Tags</dt>
              <dd>{contact.tags.join(', ')}</dd>
            </>
          )}
          {custom.map(([name, value]) => (
            <FieldRow key={name} name={name} value={value} />
          ))}
        </dl>
      </section>
      {handoff !== null && (
        <section data-testid="handoff">
          <h3>Handoff</h3>
          <p>{handoff.reason || 'A workflow step asks for a person.'}</p>
          <p className="muted">
            Queue {handoff.queue} · since {formatMoment(handoff.created_at, now)}
          </p>
          <p className="muted">Outcomes: {handoff.outcomes.join(', ')}</p>
        </section>
      )}
      {agent !== null && (
        <section data-testid="agent-summary">
          <h3>AI agent</h3>
          {agent.summary !== '' && <p>{agent.summary}</p>}
          <dl>
            <dt>Status</dt>
            <dd>{capitalize(agent.status)}</dd>
            {agent.outcome !== '' && (
              <>
                <dt>Outcome</dt>
                <dd>{agent.outcome}</dd>
              </>
            )}
            {outcomeFields.map(([name, value]) => (
              <FieldRow key={name} name={name} value={value} />
            ))}
          </dl>
        </section>
      )}
      {run !== null && (
        <section data-testid="run-path">
          <h3>Workflow</h3>
          <p>
            <strong>{run.workflow}</strong> · {capitalize(run.status)}
            {run.result !== '' && ` · ${run.result}`}
          </p>
          <ol className="inbox-path">
            {run.path.map((step) => (
              <li key={step.id} className={`inbox-path__step inbox-path__step--${step.status}`}>
                <span>{step.node_id}</span>
                <span className="muted">
                  {capitalize(step.status)}
                  {step.port !== '' && ` → ${step.port}`}
                </span>
              </li>
            ))}
          </ol>
        </section>
      )}
    </aside>
  );
}

function FieldRow({ name, value }: { name: string; value: unknown }) {
  return (
    <>
      <dt>{capitalize(name)}</dt>
      <dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
    </>
  );
}
