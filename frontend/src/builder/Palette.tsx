import type { DragEvent } from 'react';

import type { NodeKinds } from './types';
import './Palette.css';

export const KIND_MIME = 'application/x-thoughtflow-kind';

interface PaletteProps {
  kinds: NodeKinds;
  hasTrigger: boolean;
  onAdd: (kind: string) => void;
}

/** Node kinds to drag onto the canvas, or to add at its centre with a click. */
export function Palette({ kinds, hasTrigger, onAdd }: PaletteProps) {
  function startDrag(event: DragEvent<HTMLButtonElement>, kind: string) {
    event.dataTransfer.setData(KIND_MIME, kind);
    event.dataTransfer.effectAllowed = 'move';
  }

  return (
    <aside className="palette" aria-label="Steps">
      <h2 className="palette__title">Steps</h2>
      <ul className="palette__list">
        {Object.entries(kinds).map(([name, kind]) => {
          const disabled = kind.is_trigger && hasTrigger;
          return (
            <li key={name}>
              <button
                type="button"
                className="palette__item"
                draggable={!disabled}
                disabled={disabled}
                onDragStart={(event) => startDrag(event, name)}
                onClick={() => onAdd(name)}
                title={disabled ? 'A workflow has exactly one trigger.' : kind.description}
                data-testid={`palette-${name}`}
              >
                {kind.label}
              </button>
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
