import { useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';

import { filterVariables, findOpenTag, insertVariable } from './autocomplete';
import { emptyValue, useFieldContext, type ControlProps } from './fieldContext';
import { placeholderOf, textareaRows, textOf } from './TextInput';
import type { TemplateVariable } from './types';

interface Suggesting {
  // Where the inserted `{{ path }}` starts: the `{{` typed, or the caret
  // where Ctrl+Space opened the list.
  start: number;
  query: string;
  hasBraces: boolean;
}

/**
 * A template setting. Typing `{{`, or Ctrl+Space anywhere, lists the
 * variables templates can read, filtered by what follows `{{ `; arrows move
 * through the list, Enter or Tab inserts `{{ path }}`, Escape closes it.
 */
export function TemplateTextarea({ node, id, describedBy, isInvalid, onChange }: ControlProps) {
  const { variables } = useFieldContext();
  const text = textOf(node.value);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const [suggesting, setSuggesting] = useState<Suggesting | null>(null);
  const [active, setActive] = useState(0);
  // The `{{` whose list was closed with Escape; it stays closed while the
  // caret is in that expression.
  const [dismissedAt, setDismissedAt] = useState<number | null>(null);
  const caretAfterInsert = useRef<number | null>(null);

  const options = suggesting === null ? [] : filterVariables(variables, suggesting.query);
  const listId = `${id}-variables`;
  const optionId = (index: number) => `${listId}-${index}`;

  // Put the caret after an inserted variable once the new text is shown.
  useLayoutEffect(() => {
    const caret = caretAfterInsert.current;
    if (caret !== null && inputRef.current !== null && inputRef.current.value === text) {
      caretAfterInsert.current = null;
      inputRef.current.setSelectionRange(caret, caret);
    }
  }, [text]);

  useLayoutEffect(() => {
    const option = listRef.current?.children[active];
    // jsdom has no scrollIntoView.
    option?.scrollIntoView?.({ block: 'nearest' });
  }, [active, suggesting]);

  function follow(value: string, caret: number): void {
    if (suggesting !== null && !suggesting.hasBraces) {
      const query = value.slice(suggesting.start, caret);
      if (caret >= suggesting.start && /^[\w.]*$/.test(query)) {
        setSuggesting({ ...suggesting, query });
        setActive(0);
        return;
      }
    }
    const tag = findOpenTag(value, caret);
    if (tag === null || tag.start === dismissedAt) {
      setSuggesting(null);
      if (tag === null) {
        setDismissedAt(null);
      }
      return;
    }
    if (suggesting?.start !== tag.start || suggesting.query !== tag.query) {
      setActive(0);
    }
    setSuggesting({ ...tag, hasBraces: true });
  }

  function pick(variable: TemplateVariable): void {
    const input = inputRef.current;
    if (suggesting === null || input === null) {
      return;
    }
    const caret = input.selectionStart ?? text.length;
    const inserted = insertVariable(text, suggesting.start, caret, variable.path);
    caretAfterInsert.current = inserted.caret;
    setSuggesting(null);
    onChange(inserted.text);
    input.focus();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>): void {
    if (event.key === ' ' && event.ctrlKey) {
      event.preventDefault();
      const caret = event.currentTarget.selectionStart;
      const tag = findOpenTag(text, caret);
      setSuggesting(
        tag === null ? { start: caret, query: '', hasBraces: false } : { ...tag, hasBraces: true },
      );
      setDismissedAt(null);
      setActive(0);
      return;
    }
    if (suggesting === null || event.nativeEvent.isComposing) {
      return;
    }
    const count = options.length;
    if (event.key === 'Escape') {
      // Handled here, so a panel around the form does not close as well.
      event.preventDefault();
      event.stopPropagation();
      setDismissedAt(suggesting.hasBraces ? suggesting.start : null);
      setSuggesting(null);
    } else if (count > 0 && event.key === 'ArrowDown') {
      event.preventDefault();
      setActive((active + 1) % count);
    } else if (count > 0 && event.key === 'ArrowUp') {
      event.preventDefault();
      setActive((active - 1 + count) % count);
    } else if (count > 0 && (event.key === 'Enter' || event.key === 'Tab')) {
      event.preventDefault();
      pick(options[Math.min(active, count - 1)] as TemplateVariable);
    }
  }

  const isOpen = suggesting !== null;
  const hasOptions = options.length > 0;

  return (
    <div className="template-input">
      <textarea
        ref={inputRef}
        id={id}
        className="node-form__input"
        data-field-path={node.field}
        value={text}
        rows={textareaRows(node.schema.maxLength)}
        maxLength={node.schema.maxLength}
        placeholder={placeholderOf(node.defaultValue)}
        spellCheck={false}
        aria-required={node.isRequired || undefined}
        aria-invalid={isInvalid || undefined}
        aria-describedby={describedBy}
        aria-autocomplete="list"
        aria-controls={isOpen && hasOptions ? listId : undefined}
        aria-activedescendant={isOpen && hasOptions ? optionId(active) : undefined}
        onChange={(event) => {
          const value = event.target.value;
          onChange(value === '' ? emptyValue(node) : value);
          follow(value, event.target.selectionStart);
        }}
        onKeyDown={onKeyDown}
        onClick={(event) => {
          if (isOpen) {
            follow(event.currentTarget.value, event.currentTarget.selectionStart);
          }
        }}
        onBlur={() => setSuggesting(null)}
      />
      {isOpen && !hasOptions && (
        <p className="template-input__empty" data-testid="variable-list-empty">
          {variables.length === 0
            ? 'No variables can be read here yet.'
            : `No variable matches “${suggesting.query}”.`}
        </p>
      )}
      {isOpen && hasOptions && (
        <ul
          ref={listRef}
          id={listId}
          role="listbox"
          aria-label="Variables"
          className="template-input__list"
          data-testid="variable-list"
        >
          {options.map((variable, index) => (
            <li
              key={variable.path}
              id={optionId(index)}
              role="option"
              aria-selected={index === active}
              className="template-input__option"
              // Keep focus (and the caret) in the textarea.
              onMouseDown={(event) => event.preventDefault()}
              onMouseMove={() => setActive(index)}
              onClick={() => pick(variable)}
            >
              <code>{variable.path}</code>
              {variable.description !== undefined && (
                <span className="template-input__description">{variable.description}</span>
              )}
            </li>
          ))}
        </ul>
      )}
      <p className="visually-hidden" role="status">
        {isOpen ? `${options.length} ${options.length === 1 ? 'variable' : 'variables'}` : ''}
      </p>
    </div>
  );
}
