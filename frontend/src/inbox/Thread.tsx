import { useEffect, useRef } from 'react';

import type { Message, Note, ThreadItem } from './api';
import { formatMoment } from '../dates';
import { activityText, authorLabel, personName, tickFor } from './format';

interface ThreadProps {
  items: ThreadItem[];
  nameOf: (id: number) => string | null;
  typing: string[];
  now: Date;
}

/**
 * The conversation as it happened: texts both ways, private notes, and what
 * happened around them (handoffs, take-overs, workflow steps).
 *
 * Every body is text from outside; React escapes it, nothing is parsed as HTML.
 */
export function Thread({ items, nameOf, typing, now }: ThreadProps) {
  const end = useRef<HTMLDivElement>(null);
  const count = items.length;

  useEffect(() => {
    end.current?.scrollIntoView?.({ block: 'end' });
  }, [count]);

  return (
    <div className="inbox-thread" data-testid="thread">
      <ol className="inbox-thread__items">
        {items.map((item, index) => {
          if (item.kind === 'message') {
            return (
              <MessageItem
                key={`m${item.message.id}`}
                message={item.message}
                nameOf={nameOf}
                now={now}
              />
            );
          }
          if (item.kind === 'note') {
            return <NoteItem key={`n${item.note.id}`} note={item.note} nameOf={nameOf} now={now} />;
          }
          return (
            <li key={`a${index}-${item.at}`} className="activity">
              <span>{activityText(item.activity, now)}</span>
              <time dateTime={item.at}>{formatMoment(item.at, now)}</time>
            </li>
          );
        })}
      </ol>
      {typing.length > 0 && (
        <p className="inbox-typing" aria-live="polite">
          {typing.join(', ')} {typing.length === 1 ? 'is' : 'are'} typing…
        </p>
      )}
      <div ref={end} />
    </div>
  );
}

function MessageItem({
  message,
  nameOf,
  now,
}: {
  message: Message;
  nameOf: (id: number) => string | null;
  now: Date;
}) {
  const outbound = message.direction === 'outbound';
  const tick = outbound ? tickFor(message) : null;
  return (
    <li
      className={`message message--${outbound ? 'out' : 'in'} message--${message.author}`}
      data-testid={`message-${message.id}`}
    >
      <p className="message__author">{authorLabel(message, nameOf)}</p>
      {message.body !== '' && <p className="message__body">{message.body}</p>}
      <p className="message__meta">
        <time dateTime={message.created_at}>{formatMoment(message.created_at, now)}</time>
        {tick !== null && (
          <span
            className={`tick tick--${tick.tone}`}
            title={tick.label}
            data-testid={`status-${message.id}`}
            data-status={message.status}
          >
            {tick.symbol} {tick.label}
          </span>
        )}
      </p>
    </li>
  );
}

function NoteItem({
  note,
  nameOf,
  now,
}: {
  note: Note;
  nameOf: (id: number) => string | null;
  now: Date;
}) {
  const id = note.author?.id ?? note.author_user_id ?? null;
  const author = personName(note.author) ?? (id === null ? null : nameOf(id)) ?? 'Team member';
  return (
    <li className="note" data-testid={`note-${note.id}`}>
      <p className="message__author">Private note · {author}</p>
      <p className="message__body">{note.body}</p>
      <p className="message__meta">
        <time dateTime={note.created_at}>{formatMoment(note.created_at, now)}</time>
      </p>
    </li>
  );
}
