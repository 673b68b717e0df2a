import { useState } from 'react';

interface MapEntryNameProps {
  id: string;
  name: string;
  otherNames: string[];
  onRename: (name: string) => void;
}

/**
 * The name of one map entry. A name another entry has is kept here, with a
 * message, instead of being stored: storing it would merge the two entries.
 */
export function MapEntryName({ id, name, otherNames, onRename }: MapEntryNameProps) {
  const [draft, setDraft] = useState<string | null>(null);
  const isTaken = draft !== null;
  const errorId = `${id}-error`;

  return (
    <div className="node-form__field node-form__entry-name">
      <label htmlFor={id}>Name</label>
      <input
        type="text"
        id={id}
        className="node-form__input"
        value={draft ?? name}
        aria-invalid={isTaken || undefined}
        aria-describedby={isTaken ? errorId : undefined}
        onChange={(event) => {
          const typed = event.target.value;
          if (otherNames.includes(typed)) {
            setDraft(typed);
          } else {
            setDraft(null);
            onRename(typed);
          }
        }}
      />
      {isTaken && (
        <p className="node-form__local-error" id={errorId}>
          Another entry is named “{draft}”. Choose another name.
        </p>
      )}
    </div>
  );
}
