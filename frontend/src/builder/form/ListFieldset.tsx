import { useLayoutEffect, useRef, type ReactNode } from 'react';

import type { ControlProps } from './fieldContext';
import { FieldView } from './FieldView';
import { GroupFieldset } from './GroupFieldset';
import { listItems } from './model';
import { moved, newItem, typesOf } from './values';

interface ListFieldsetProps extends ControlProps {
  messages: ReactNode;
}

type Move = 'up' | 'down';

/** A list: each item with buttons to move it or remove it, and one to add an item. */
export function ListFieldset({ node, describedBy, messages, onChange }: ListFieldsetProps) {
  const items = listItems(node);
  const itemSchema = node.schema.items ?? {};
  const itemName = (itemSchema.title ?? 'item').toLowerCase();
  const isFull = node.schema.maxItems !== undefined && items.length >= node.schema.maxItems;
  const listRef = useRef<HTMLOListElement>(null);
  // After a move, focus follows the item, so pressing the button again
  // moves the same item once more.
  const followFocus = useRef<{ index: number; move: Move } | null>(null);

  useLayoutEffect(() => {
    const follow = followFocus.current;
    if (follow === null) {
      return;
    }
    followFocus.current = null;
    const row = listRef.current?.children[follow.index];
    const button = row?.querySelector<HTMLButtonElement>(`[data-move="${follow.move}"]`);
    (button !== undefined && button !== null && !button.disabled
      ? button
      : row?.querySelector<HTMLButtonElement>('[data-move]:not(:disabled)')
    )?.focus();
  });

  function move(index: number, to: number, direction: Move): void {
    followFocus.current = { index: to, move: direction };
    onChange(moved(items, index, to));
  }

  // A cleared item stays in the list, empty, until it is removed.
  const emptyItem = typesOf(itemSchema).includes('string') ? '' : null;

  return (
    <GroupFieldset node={node} describedBy={describedBy} messages={messages}>
      {items.length > 0 && (
        <ol className="node-form__list" ref={listRef}>
          {node.children.map((child, index) => {
            const name = lowerFirst(child.label);
            return (
              <li key={index} className="node-form__item">
                <div className="node-form__item-body">
                  <FieldView
                    node={child}
                    onChange={(value) =>
                      onChange(items.with(index, value === undefined ? emptyItem : value))
                    }
                  />
                </div>
                <div className="node-form__item-actions">
                  <button
                    type="button"
                    className="node-form__icon-button"
                    data-move="up"
                    aria-label={`Move ${name} up`}
                    title="Move up"
                    disabled={index === 0}
                    onClick={() => move(index, index - 1, 'up')}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    className="node-form__icon-button"
                    data-move="down"
                    aria-label={`Move ${name} down`}
                    title="Move down"
                    disabled={index === items.length - 1}
                    onClick={() => move(index, index + 1, 'down')}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    className="node-form__icon-button"
                    aria-label={`Remove ${name}`}
                    title="Remove"
                    onClick={() => onChange(items.filter((_, position) => position !== index))}
                  >
                    ×
                  </button>
                </div>
              </li>
            );
          })}
        </ol>
      )}
      <button
        type="button"
        className="node-form__add"
        disabled={isFull}
        title={isFull ? `At most ${node.schema.maxItems} entries.` : undefined}
        onClick={() => onChange([...items, newItem(itemSchema, items)])}
      >
        Add {itemName}
      </button>
    </GroupFieldset>
  );
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
