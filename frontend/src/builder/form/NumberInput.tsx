import { emptyValue, type ControlProps } from './fieldContext';
import { placeholderOf } from './TextInput';

/** A number input within the schema's bounds; empty stores null or nothing. */
export function NumberInput({ node, id, describedBy, isInvalid, onChange }: ControlProps) {
  const isInteger = node.schema.type === 'integer' || node.schema.type?.includes('integer');

  return (
    <input
      type="number"
      id={id}
      className="node-form__input node-form__input--number"
      data-field-path={node.field}
      value={typeof node.value === 'number' ? String(node.value) : ''}
      placeholder={placeholderOf(node.defaultValue)}
      min={node.schema.minimum}
      max={node.schema.maximum}
      step={isInteger ? 1 : 'any'}
      aria-required={node.isRequired || undefined}
      aria-invalid={isInvalid || undefined}
      aria-describedby={describedBy}
      onChange={(event) => {
        const text = event.target.value;
        const number = Number(text);
        if (text === '') {
          onChange(emptyValue(node));
        } else if (Number.isFinite(number)) {
          onChange(number);
        }
      }}
    />
  );
}
