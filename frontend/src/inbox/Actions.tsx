import { useEffect, useRef, useState } from 'react';

import type { ConversationPanel, People } from './api';
import { STATE_LABELS, personName } from './format';

export type Dialog = 'resolve' | 'snooze' | null;

interface ActionsProps {
  panel: ConversationPanel;
  people: People | null;
  busy: boolean;
  dialog: Dialog;
  onDialog: (dialog: Dialog) => void;
  onTakeOver: () => void;
  onHandBack: () => void;
  onAssign: (to: { user?: number | null; team?: number | null }) => void;
  onResolve: (outcome: string) => void;
  onSnooze: (until: Date) => void;
}

/** The conversation's header: who has it, and what can be done with it. */
export function Actions({
  panel,
  people,
  busy,
  dialog,
  onDialog,
  onTakeOver,
  onHandBack,
  onAssign,
  onResolve,
  onSnooze,
}: ActionsProps) {
  const closed = panel.state === 'closed';
  const assigneeValue = panel.assignee === null ? '' : `user:${panel.assignee.id}`;
  const members = people?.members ?? [];
  const teams = people?.teams ?? [];
  const assigneeListed =
    panel.assignee === null || members.some((m) => m.id === panel.assignee?.id);

  return (
    <header className="inbox-actions">
      <div className="inbox-actions__who">
        <h2>{panel.contact.name || panel.contact.phone}</h2>
        <span className={`badge badge--state-${panel.state}`} data-testid="conversation-state">
          {STATE_LABELS[panel.state]}
        </span>
        {panel.needs_attention && <span className="badge badge--attention">Needs a human</span>}
      </div>
      <div className="inbox-actions__buttons">
        {!closed && panel.state !== 'human_active' && (
          <button
            type="button"
            className="primary"
            onClick={onTakeOver}
            disabled={busy}
            title="Take over (T)"
          >
            Take over
          </button>
        )}
        {!closed && panel.state === 'human_active' && (
          <button
            type="button"
            onClick={onHandBack}
            disabled={busy}
            title="Hand back to the AI agent (H)"
          >
            Hand back to AI
          </button>
        )}
        <label className="inbox-assign">
          <span>Assignee</span>
          <select
            value={assigneeListed ? assigneeValue : ''}
            disabled={busy || closed}
            onChange={(event) => {
              const value = event.target.value;
              onAssign({ user: value === '' ? null : Number(value.slice('user:'.length)) });
            }}
            aria-label="Assignee"
          >
            <option value="">Nobody</option>
            {!assigneeListed && panel.assignee !== null && (
              <option value={assigneeValue}>{personName(panel.assignee)}</option>
            )}
            {members.map((member) => (
              <option key={member.id} value={`user:${member.id}`}>
                {member.id === people?.me ? `${member.name} (me)` : member.name}
                {member.online ? ' · online' : ''}
              </option>
            ))}
          </select>
        </label>
        {teams.length > 0 && (
          <label className="inbox-assign">
            <span>Team</span>
            <select
              value={panel.team ? String(panel.team.id) : ''}
              disabled={busy || closed}
              onChange={(event) => {
                const value = event.target.value;
                onAssign({ team: value === '' ? null : Number(value) });
              }}
              aria-label="Team"
            >
              <option value="">No team</option>
              {teams.map((team) => (
                <option key={team.id} value={team.id}>
                  {team.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {!closed && (
          <button
            type="button"
            onClick={() => onDialog(dialog === 'snooze' ? null : 'snooze')}
            aria-expanded={dialog === 'snooze'}
            disabled={busy}
            title="Snooze (S)"
          >
            Snooze
          </button>
        )}
        {!closed && (
          <button
            type="button"
            onClick={() => onDialog(dialog === 'resolve' ? null : 'resolve')}
            aria-expanded={dialog === 'resolve'}
            disabled={busy}
            title="Resolve (E)"
          >
            Resolve
          </button>
        )}
      </div>
      {dialog === 'snooze' && <SnoozeMenu onSnooze={onSnooze} onClose={() => onDialog(null)} />}
      {dialog === 'resolve' && (
        <ResolveForm
          outcomes={panel.handoff?.outcomes ?? []}
          reason={panel.handoff?.reason ?? null}
          busy={busy}
          onResolve={onResolve}
          onClose={() => onDialog(null)}
        />
      )}
    </header>
  );
}

function ResolveForm({
  outcomes,
  reason,
  busy,
  onResolve,
  onClose,
}: {
  outcomes: string[];
  reason: string | null;
  busy: boolean;
  onResolve: (outcome: string) => void;
  onClose: () => void;
}) {
  const [outcome, setOutcome] = useState(outcomes.length === 1 ? outcomes[0]! : '');
  const firstOutcome = useRef<HTMLInputElement>(null);
  const submit = useRef<HTMLButtonElement>(null);
  useEffect(() => (firstOutcome.current ?? submit.current)?.focus(), []);

  return (
    <form
      className="inbox-popover"
      aria-label="Resolve the conversation"
      onSubmit={(event) => {
        event.preventDefault();
        if (outcomes.length === 0 || outcome !== '') {
          onResolve(outcome);
        }
      }}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          onClose();
        }
      }}
    >
      {outcomes.length > 0 ? (
        <fieldset>
          <legend>
            The workflow waits for an outcome{reason ? ` (${reason})` : ''}. It continues on the one
            you pick.
          </legend>
          {outcomes.map((name, index) => (
            <label key={name} className="inbox-outcome">
              <input
                ref={index === 0 ? firstOutcome : undefined}
                type="radio"
                name="outcome"
                value={name}
                checked={outcome === name}
                onChange={() => setOutcome(name)}
              />
              {name}
            </label>
          ))}
        </fieldset>
      ) : (
        <p>No workflow waits on this conversation; resolving closes it.</p>
      )}
      <div className="inbox-popover__buttons">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button
          ref={submit}
          type="submit"
          className="primary"
          disabled={busy || (outcomes.length > 0 && outcome === '')}
        >
          {outcomes.length > 0 ? 'Resolve with this outcome' : 'Resolve'}
        </button>
      </div>
    </form>
  );
}

function SnoozeMenu({
  onSnooze,
  onClose,
}: {
  onSnooze: (until: Date) => void;
  onClose: () => void;
}) {
  const [custom, setCustom] = useState('');
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  const choices = snoozeChoices(new Date());

  return (
    <div
      className="inbox-popover"
      role="group"
      aria-label="Snooze until"
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          onClose();
        }
      }}
    >
      <p>Hide it until then, or until the contact texts.</p>
      {choices.map((choice, index) => (
        <button
          key={choice.label}
          ref={index === 0 ? first : undefined}
          type="button"
          onClick={() => onSnooze(choice.until)}
        >
          {choice.label}
        </button>
      ))}
      <form
        className="inbox-popover__custom"
        onSubmit={(event) => {
          event.preventDefault();
          const until = new Date(custom);
          if (!Number.isNaN(until.getTime())) {
            onSnooze(until);
          }
        }}
      >
        <input
          type="datetime-local"
          aria-label="Snooze until a time"
          value={custom}
          onChange={(event) => setCustom(event.target.value)}
        />
        <button type="submit" disabled={custom === ''}>
          Snooze
        </button>
      </form>
    </div>
  );
}

/** An hour from now, tomorrow morning and next Monday morning. */
export function snoozeChoices(now: Date): { label: string; until: Date }[] {
  const inAnHour = new Date(now.getTime() + 3600_000);
  const tomorrow = new Date(now);
  tomorrow.setDate(now.getDate() + 1);
  tomorrow.setHours(9, 0, 0, 0);
  const monday = new Date(now);
  monday.setDate(now.getDate() + ((8 - now.getDay()) % 7 || 7));
  monday.setHours(9, 0, 0, 0);
  return [
    { label: 'For an hour', until: inAnHour },
    { label: 'Until tomorrow 9:00', until: tomorrow },
    { label: 'Until Monday 9:00', until: monday },
  ];
}
