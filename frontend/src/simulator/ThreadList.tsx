import type { ThreadSummary } from './api';
import { formatMoment } from '../dates';
import './ThreadList.css';

interface ThreadListProps {
  threads: ThreadSummary[] | null;
  selectedId: number | null;
  error: string | null;
  onSelect: (contactId: number) => void;
}

/** The contacts this simulator can text as, most useful first as served. */
export function ThreadList({ threads, selectedId, error, onSelect }: ThreadListProps) {
  return (
    <nav className="thread-list" aria-label="Contacts">
      {error !== null && (
        <p className="thread-list__error" role="alert">
          {error}
        </p>
      )}
      {threads === null && error === null && <p className="thread-list__hint">Loading contacts…</p>}
      {threads !== null && threads.length === 0 && (
        <p className="thread-list__hint">No contacts yet. Start texting from a new number below.</p>
      )}
      <ul className="thread-list__items" data-testid="thread-list">
        {(threads ?? []).map((thread) => {
          const isSelected = thread.contact_id === selectedId;
          return (
            <li key={thread.contact_id}>
              <button
                type="button"
                className={`thread-list__item${isSelected ? ' thread-list__item--selected' : ''}`}
                data-testid={`thread-${thread.contact_id}`}
                aria-current={isSelected ? 'true' : undefined}
                onClick={() => onSelect(thread.contact_id)}
              >
                <span className="thread-list__name">{thread.name || thread.phone}</span>
                <span className="thread-list__when">{formatMoment(thread.last_message_at)}</span>
                <span className="thread-list__phone">{thread.phone}</span>
                {thread.unread > 0 && (
                  <span className="thread-list__unread" aria-label={`${thread.unread} unread`}>
                    {thread.unread}
                  </span>
                )}
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
