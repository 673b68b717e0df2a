import { useState } from 'react';

import type { Thread } from './api';
import { ComposeBox } from './ComposeBox';
import { useStickToBottom } from './hooks/useStickToBottom';
import { MessageBubble } from './MessageBubble';
import './Handset.css';

interface HandsetProps {
  contactId: number | null;
  thread: Thread | null;
  loadError: string | null;
  onSend: (body: string) => Promise<void>;
  onMissedCall: () => Promise<void>;
}

/** A phone held by the selected contact, texting the business's number. */
export function Handset({ contactId, thread, loadError, onSend, onMissedCall }: HandsetProps) {
  const [calling, setCalling] = useState(false);
  const [callError, setCallError] = useState<string | null>(null);
  const messages = thread?.messages ?? [];
  const lastId = messages[messages.length - 1]?.id ?? null;
  const { listRef, onScroll, stick } = useStickToBottom<HTMLOListElement>(lastId, contactId);

  async function send(body: string): Promise<void> {
    stick();
    await onSend(body);
  }

  async function call(): Promise<void> {
    setCalling(true);
    setCallError(null);
    try {
      await onMissedCall();
    } catch (error) {
      setCallError(error instanceof Error ? error.message : String(error));
    } finally {
      setCalling(false);
    }
  }

  return (
    <section className="handset" data-testid="handset" aria-label="Contact's phone">
      <div className="handset__screen">
        <header className="handset__header">
          {thread === null ? (
            <span className="handset__title">{contactId === null ? 'No contact' : 'Loading…'}</span>
          ) : (
            <>
              <span className="handset__title">{thread.sender}</span>
              <span className="handset__subtitle">
                This phone: {thread.name !== '' ? `${thread.name}, ` : ''}
                {thread.phone}
              </span>
              <button
                type="button"
                className="handset__call"
                data-testid="missed-call"
                disabled={calling}
                onClick={() => void call()}
                title="Call the business's number and hang up before anyone answers"
              >
                {calling ? 'Calling…' : 'Missed call'}
              </button>
            </>
          )}
        </header>

        {thread?.opted_out && (
          <p className="handset__notice">
            This number has opted out, so the business cannot text it. Send START to opt back in.
          </p>
        )}

        <ol className="handset__messages" ref={listRef} onScroll={onScroll}>
          {contactId === null && (
            <li className="handset__empty">Pick a contact, or start texting from a new number.</li>
          )}
          {thread !== null && messages.length === 0 && (
            <li className="handset__empty">No messages yet. Say hello to {thread.sender}.</li>
          )}
          {messages.map((message) => (
            <MessageBubble key={message.id} message={message} />
          ))}
        </ol>

        {callError !== null && (
          <p className="handset__error" role="alert" data-testid="call-error">
            {callError}
          </p>
        )}

        {loadError !== null && (
          <p className="handset__error" role="alert">
            {loadError}
          </p>
        )}

        {contactId !== null && (
          <ComposeBox key={contactId} onSend={send} placeholder={`Text ${thread?.sender ?? ''}`} />
        )}
      </div>
    </section>
  );
}
