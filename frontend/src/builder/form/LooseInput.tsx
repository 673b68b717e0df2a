import { useState } from 'react';

import type { ControlProps } from './fieldContext';
import { formatLoose, parseLoose, sameJson } from './values';

/**
 * A value of any type typed as text, read by parseLoose (values.ts):
 * numbers, true/false and JSON lists become those, other text stays text.
 */
export function LooseInput({ node, id, describedBy, isInvalid, onChange }: ControlProps) {
  // The typed text is kept as typed ("[1, 2" on the way to a list); it is
  // replaced only when the value changes from outside this input.
  const [text, setText] = useState(() => formatLoose(node.value));
  const [shown, setShown] = useState<unknown>(node.value);
  if (!sameJson(shown, node.value)) {
    setShown(node.value);
    setText(formatLoose(node.value));
  }

  return (
    <input
      type="text"
      id={id}
      className="node-form__input node-form__input--code"
      data-field-path={node.field}
      value={text}
      aria-required={node.isRequired || undefined}
      aria-invalid={isInvalid || undefined}
      aria-describedby={describedBy}
      onChange={(event) => {
        const value = parseLoose(event.target.value);
        setText(event.target.value);
        setShown(value);
        onChange(value);
      }}
    />
  );
}
