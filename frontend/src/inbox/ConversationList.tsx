import type { RefObject } from 'react';

import type { InboxRow, View } from './api';
import { VIEWS } from './api';
import { STATE_LABELS, VIEW_LABELS, lastMessagePrefix, personName, waitingFor } from './format';

interface ConversationListProps {
  view: View;
  onView: (view: View) => void;
  query: string;
  onQuery: (query: string) => void;
  rows: InboxRow[];
  loading: boolean;
  error: string | null;
  hasMore: boolean;
  onMore: () => void;
  selectedId: number | null;
  onSelect: (id: number) => void;
  now: Date;
  searchRef: RefObject<HTMLInputElement | null>;
  // The signed-in person, and the names of the others, for who wrote last.
  me: number | null;
  nameOf: (id: number) => string | null;
}

/** The views, the search box and the conversations of the chosen view. */
export function ConversationList({
  view,
  onView,
  query,
  onQuery,
  rows,
  loading,
  error,
  hasMore,
  onMore,
  selectedId,
  onSelect,
  now,
  searchRef,
  me,
  nameOf,
}: ConversationListProps) {
  return (
    <section className="inbox-list" aria-label="Conversations">
      <nav className="inbox-views" aria-label="Views">
        {VIEWS.map((name, index) => (
          <button
            key={name}
            type="button"
            aria-pressed={view === name}
            title={`${VIEW_LABELS[name]} (${index + 1})`}
            onClick={() => onView(name)}
          >
            {VIEW_LABELS[name]}
          </button>
        ))}
      </nav>
      <input
        ref={searchRef}
        className="inbox-search"
        type="search"
        placeholder="Search name, number or text  ( / )"
        aria-label="Search conversations"
        value={query}
        onChange={(event) => onQuery(event.target.value)}
      />
      {error !== null && (
        <p className="inbox-error" role="alert">
          {error}
        </p>
      )}
      <ul className="inbox-rows" data-testid="conversation-list">
        {rows.map((row) => (
          <Row
            key={row.id}
            row={row}
            selected={row.id === selectedId}
            onSelect={onSelect}
            now={now}
            me={me}
            nameOf={nameOf}
          />
        ))}
      </ul>
      {rows.length === 0 && !loading && error === null && (
        <p className="inbox-empty">
          {query.trim() === ''
            ? `No conversations in ${VIEW_LABELS[view].toLowerCase()}.`
            : 'Nothing matches that search.'}
        </p>
      )}
      {hasMore && (
        <button type="button" className="inbox-more" onClick={onMore} disabled={loading}>
          Load more
        </button>
      )}
    </section>
  );
}

interface RowProps {
  row: InboxRow;
  selected: boolean;
  onSelect: (id: number) => void;
  now: Date;
  me: number | null;
  nameOf: (id: number) => string | null;
}

function Row({ row, selected, onSelect, now, me, nameOf }: RowProps) {
  const assignee = personName(row.assignee);
  const waited = waitingFor(row.waiting_since, now);
  const last = row.last_message;
  return (
    <li>
      <button
        type="button"
        className={`inbox-row${selected ? ' inbox-row--selected' : ''}${
          row.unread_count > 0 ? ' inbox-row--unread' : ''
        }`}
        aria-current={selected ? 'true' : undefined}
        data-testid={`conversation-${row.id}`}
        onClick={() => onSelect(row.id)}
      >
        <span className="inbox-row__top">
          <span className="inbox-row__name">{row.contact.name || row.contact.phone}</span>
          {row.needs_attention && (
            <span className="badge badge--attention" title="Needs a human">
              Needs a human
            </span>
          )}
          {waited !== '' && row.state !== 'closed' && (
            <span className="inbox-row__wait" title="Waiting for an answer">
              {waited}
            </span>
          )}
        </span>
        <span className="inbox-row__last">
          {last === null ? 'No texts yet' : `${lastMessagePrefix(last, me, nameOf)}${last.body}`}
        </span>
        <span className="inbox-row__meta">
          <span>{STATE_LABELS[row.state]}</span>
          <span>{assignee ?? 'Unassigned'}</span>
          {row.team && <span>{row.team.name}</span>}
          {row.unread_count > 0 && (
            <span className="badge badge--unread" aria-label={`${row.unread_count} unread`}>
              {row.unread_count}
            </span>
          )}
        </span>
      </button>
    </li>
  );
}
