import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';

import { errorMessage } from '../api/http';
import { SegmentCounter } from './SegmentCounter';
import './ComposeBox.css';

interface ComposeBoxProps {
  // Resolves once the server accepted the message; rejects with ApiError.
  onSend: (body: string) => Promise<void>;
  placeholder?: string;
}

/** The handset's text field: Enter sends, Shift+Enter starts a new line. */
export function ComposeBox({ onSend, placeholder = 'Text message' }: ComposeBoxProps) {
  const [body, setBody] = useState('');
  const [isSending, setIsSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const wasSending = useRef(false);

  // The field is disabled while sending, which drops focus; give it back.
  useEffect(() => {
    if (wasSending.current && !isSending) {
      inputRef.current?.focus();
    }
    wasSending.current = isSending;
  }, [isSending]);

  const canSend = body.trim() !== '' && !isSending;

  async function send(): Promise<void> {
    if (!canSend) {
      return;
    }
    setIsSending(true);
    setError(null);
    try {
      await onSend(body);
      setBody('');
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setIsSending(false);
    }
  }

  function onSubmit(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    void send();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>): void {
    // Enter while an input method is composing picks a candidate instead.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    }
  }

  return (
    <form className="compose" onSubmit={onSubmit}>
      <div className="compose__row">
        <textarea
          ref={inputRef}
          className="compose__input"
          data-testid="compose-input"
          aria-label="Message"
          rows={2}
          placeholder={placeholder}
          value={body}
          disabled={isSending}
          onChange={(event) => setBody(event.target.value)}
          onKeyDown={onKeyDown}
        />
        <button
          type="submit"
          className="compose__send"
          data-testid="compose-send"
          disabled={!canSend}
        >
          {isSending ? 'Sending…' : 'Send'}
        </button>
      </div>
      <SegmentCounter body={body} />
      {error !== null && (
        <p className="compose__error" role="alert" data-testid="compose-error">
          {error}
        </p>
      )}
    </form>
  );
}
