import type { ReactNode } from 'react';

import type { FieldNode } from './model';
import { RequiredMark } from './RequiredMark';

interface GroupFieldsetProps {
  node: FieldNode;
  describedBy: string | undefined;
  messages: ReactNode;
  children: ReactNode;
}

/** The frame of a setting made of settings: an object, a list or a map. */
export function GroupFieldset({ node, describedBy, messages, children }: GroupFieldsetProps) {
  return (
    <fieldset
      className="node-form__group"
      data-field-path={node.field}
      data-testid={node.field}
      aria-describedby={describedBy}
    >
      <legend>
        {node.label}
        {node.isRequired && <RequiredMark />}
      </legend>
      {messages}
      {children}
    </fieldset>
  );
}
