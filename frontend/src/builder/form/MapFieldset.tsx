import type { ReactNode } from 'react';

import type { ControlProps } from './fieldContext';
import { FieldView } from './FieldView';
import { GroupFieldset } from './GroupFieldset';
import { MapEntryName } from './MapEntryName';
import { mapEntries } from './model';
import type { JsonSchema } from './types';
import { isRecord, newItem, withKey, withRenamedKey } from './values';

interface MapFieldsetProps extends ControlProps {
  messages: ReactNode;
}

/** An object of named entries (headers, field mappings): a name and a value per row. */
export function MapFieldset({ node, id, describedBy, messages, onChange }: MapFieldsetProps) {
  const entries = mapEntries(node);
  const names = Object.keys(entries);
  const valueSchema: JsonSchema = isRecord(node.schema.additionalProperties)
    ? node.schema.additionalProperties
    : {};
  // A new entry has an empty name until one is typed; one at a time.
  const hasNewEntry = '' in entries;

  return (
    <GroupFieldset node={node} describedBy={describedBy} messages={messages}>
      {names.length > 0 && (
        <ul className="node-form__list">
          {node.children.map((child, index) => {
            const name = child.entryKey ?? '';
            return (
              <li key={index} className="node-form__item node-form__item--entry">
                <MapEntryName
                  id={`${id}-name-${index}`}
                  name={name}
                  otherNames={names.filter((other) => other !== name)}
                  onRename={(to) => onChange(withRenamedKey(entries, name, to))}
                />
                <div className="node-form__item-body">
                  <FieldView
                    node={child}
                    onChange={(value) => onChange(withKey(entries, name, value ?? ''))}
                  />
                </div>
                <div className="node-form__item-actions">
                  <button
                    type="button"
                    className="node-form__icon-button"
                    aria-label={name === '' ? 'Remove the new entry' : `Remove ${name}`}
                    title="Remove"
                    onClick={() => onChange(withKey(entries, name, undefined))}
                  >
                    ×
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      )}
      <button
        type="button"
        className="node-form__add"
        disabled={hasNewEntry}
        title={hasNewEntry ? 'Name the new entry first.' : undefined}
        onClick={() => onChange({ ...entries, '': newItem(valueSchema) })}
      >
        Add {(valueSchema.title ?? 'entry').toLowerCase()}
      </button>
    </GroupFieldset>
  );
}
