import type { ReactNode } from 'react';

import type { ControlProps } from './fieldContext';
import { FieldView } from './FieldView';
import { RequiredMark } from './RequiredMark';
import { isRecord, withKey } from './values';

interface ObjectFieldsetProps extends ControlProps {
  messages: ReactNode;
}

/** A nested object: its properties in a fieldset under the object's title. */
export function ObjectFieldset({ node, describedBy, messages, onChange }: ObjectFieldsetProps) {
  const object = isRecord(node.value) ? node.value : {};

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
      {node.children.map((child) => {
        const key = String(child.path[child.path.length - 1]);
        return (
          <FieldView
            key={key}
            node={child}
            onChange={(value) => onChange(withKey(object, key, value))}
          />
        );
      })}
    </fieldset>
  );
}
