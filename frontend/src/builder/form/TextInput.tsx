import { emptyValue, type ControlProps } from './fieldContext';

/** A one-line input, or a textarea for long text. */
export function TextInput({ node, id, describedBy, isInvalid, onChange }: ControlProps) {
  const shared = {
    id,
    className: 'node-form__input',
    'data-field-path': node.field,
    value: textOf(node.value),
    placeholder: placeholderOf(node.defaultValue),
    maxLength: node.schema.maxLength,
    'aria-required': node.isRequired || undefined,
    'aria-invalid': isInvalid || undefined,
    'aria-describedby': describedBy,
  };
  const change = (text: string) => onChange(text === '' ? emptyValue(node) : text);

  if (node.control === 'textarea') {
    return (
      <textarea
        {...shared}
        rows={textareaRows(node.schema.maxLength)}
        onChange={(event) => change(event.target.value)}
      />
    );
  }
  return <input type="text" {...shared} onChange={(event) => change(event.target.value)} />;
}

/** The text a control shows for a stored value; non-text values show as JSON. */
export function textOf(value: unknown): string {
  if (value === undefined || value === null) {
    return '';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function placeholderOf(defaultValue: unknown): string | undefined {
  if (typeof defaultValue === 'string' && defaultValue !== '') {
    return defaultValue;
  }
  return typeof defaultValue === 'number' ? String(defaultValue) : undefined;
}

export function textareaRows(maxLength: number | undefined): number {
  return (maxLength ?? 0) > 1000 ? 4 : 2;
}
