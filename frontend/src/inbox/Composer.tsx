import { forwardRef, useImperativeHandle, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';

import { SegmentCounter } from '../simulator/SegmentCounter';

export type ComposeMode = 'reply' | 'note';

export interface ComposerHandle {
  focus: (mode: ComposeMode) => void;
}

interface ComposerProps {
  disabled: boolean;
  disabledReason: string;
  // Resolves when sent; rejects with a message to show, keeping the text.
  onSend: (mode: ComposeMode, body: string) => Promise<void>;
  onTyping: () => void;
}

/**
 * The reply box: a text to the contact, or a private note for the team.
 * Enter sends, Shift+Enter starts a new line.
 */
export const Composer = forwardRef<ComposerHandle, ComposerProps>(function Composer(
  { disabled, disabledReason, onSend, onTyping },
  ref,
) {
  const [mode, setMode] = useState<ComposeMode>('reply');
  const [body, setBody] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);

  useImperativeHandle(ref, () => ({
    focus(next: ComposeMode) {
      setMode(next);
      box.current?.focus();
    },
  }));

  async function send() {
    const text = body.trim();
    if (text === '' || sending || disabled) {
      return;
    }
    setSending(true);
    setError(null);
    try {
      await onSend(mode, text);
      setBody('');
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setSending(false);
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    } else if (event.key === 'Escape') {
      box.current?.blur();
    }
  }

  const label = mode === 'reply' ? 'Reply to the contact' : 'Private note for the team';
  return (
    <form
      className={`composer composer--${mode}`}
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
      <div className="composer__modes" role="group" aria-label="Write a">
        <button type="button" aria-pressed={mode === 'reply'} onClick={() => setMode('reply')}>
          Reply
        </button>
        <button type="button" aria-pressed={mode === 'note'} onClick={() => setMode('note')}>
          Note
        </button>
      </div>
      <textarea
        ref={box}
        aria-label={label}
        placeholder={
          disabled
            ? disabledReason
            : mode === 'reply'
              ? 'Text the contact (Enter sends, Shift+Enter for a new line)'
              : 'Only your team sees notes'
        }
        value={body}
        disabled={disabled && mode === 'reply'}
        rows={3}
        onChange={(event) => {
          setBody(event.target.value);
          if (mode === 'reply') {
            onTyping();
          }
        }}
        onKeyDown={onKeyDown}
      />
      <div className="composer__footer">
        {mode === 'reply' ? <SegmentCounter body={body} /> : <span />}
        {error !== null && (
          <p className="inbox-error" role="alert">
            {error}
          </p>
        )}
        <button
          type="submit"
          className="primary"
          disabled={sending || body.trim() === '' || (disabled && mode === 'reply')}
        >
          {mode === 'reply' ? 'Send' : 'Add note'}
        </button>
      </div>
    </form>
  );
});
