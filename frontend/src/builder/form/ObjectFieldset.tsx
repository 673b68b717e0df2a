import type { ReactNode } from 'react';

import type { ControlProps } from './fieldContext';
import { FieldView } from './FieldView';
import { GroupFieldset } from './GroupFieldset';
import { isRecord, withKey } from './values';

interface ObjectFieldsetProps extends ControlProps {
  messages: ReactNode;
}

/** A nested object: its properties in a fieldset under the object's title. */
export function ObjectFieldset({ node, describedBy, messages, onChange }: ObjectFieldsetProps) {
  const object = isRecord(node.value) ? node.value : {};

  return (
    <GroupFieldset node={node} describedBy={describedBy} messages={messages}>
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
    </GroupFieldset>
  );
}
