import type { ControlProps } from './fieldContext';

// Option values are indexes into the schema's enum, which may hold null.
const UNSET = '';

/** A select of the schema's enum; the default is selected while nothing is stored. */
export function SelectInput({ node, id, describedBy, isInvalid, onChange }: ControlProps) {
  const options = node.schema.enum ?? [];
  const current = node.value !== undefined ? node.value : node.defaultValue;
  const index = options.findIndex((option) => option === current);

  return (
    <select
      id={id}
      className="node-form__input"
      data-field-path={node.field}
      value={index < 0 ? UNSET : String(index)}
      aria-required={node.isRequired || undefined}
      aria-invalid={isInvalid || undefined}
      aria-describedby={describedBy}
      onChange={(event) =>
        onChange(event.target.value === UNSET ? undefined : options[Number(event.target.value)])
      }
    >
      {index < 0 && <option value={UNSET}>Choose…</option>}
      {options.map((option, position) => (
        <option key={position} value={String(position)}>
          {option === null ? 'None' : String(option)}
        </option>
      ))}
    </select>
  );
}
