import { useState } from 'react';

import type { ControlProps } from './fieldContext';
import { textareaRows } from './TextInput';
import { isRecord, sameJson } from './values';

/** A free-form object (its schema names no properties), edited as JSON. */
export function JsonInput({ node, id, describedBy, isInvalid, onChange }: ControlProps) {
  const [text, setText] = useState(() => format(node.value));
  const [shown, setShown] = useState<unknown>(node.value);
  const [error, setError] = useState<string | null>(null);
  if (!sameJson(shown, node.value)) {
    setShown(node.value);
    setText(format(node.value));
    setError(null);
  }
  const errorId = `${id}-error`;

  function change(typed: string): void {
    setText(typed);
    if (typed.trim() === '') {
      setError(null);
      setShown(undefined);
      onChange(undefined);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(typed);
    } catch {
      parsed = undefined;
    }
    if (!isRecord(parsed)) {
      // Not stored: the config keeps the last object until this one is whole.
      setError('Not saved yet: write a JSON object, like {"first_name": "Ana"}.');
      return;
    }
    setError(null);
    setShown(parsed);
    onChange(parsed);
  }

  return (
    <>
      <textarea
        id={id}
        className="node-form__input node-form__input--code"
        data-field-path={node.field}
        value={text}
        rows={textareaRows(undefined)}
        placeholder={
          node.defaultValue === undefined ? undefined : JSON.stringify(node.defaultValue)
        }
        spellCheck={false}
        aria-invalid={isInvalid || error !== null || undefined}
        aria-describedby={
          [error === null ? null : errorId, describedBy].filter(Boolean).join(' ') || undefined
        }
        onChange={(event) => change(event.target.value)}
      />
      {error !== null && (
        <p className="node-form__local-error" id={errorId}>
          {error}
        </p>
      )}
    </>
  );
}

function format(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value, null, 2);
}
