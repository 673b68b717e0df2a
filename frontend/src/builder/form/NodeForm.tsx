import { useId, useMemo, type FormEvent } from 'react';

import { FieldContext, type FieldContextValue } from './fieldContext';
import { FieldView } from './FieldView';
import { describeForm, placeProblems, settingsLeftUnused } from './model';
import type { NodeConfig, NodeKind, NodeProblem, TemplateVariable } from './types';
import { withKey } from './values';
import './NodeForm.css';

export interface NodeFormProps {
  kind: NodeKind;
  config: NodeConfig;
  // Receives the whole new config after each edit.
  onChange: (config: NodeConfig) => void;
  // This node's problems from validate_graph.
  problems?: readonly NodeProblem[];
  // What templates of this node can read.
  variables?: readonly TemplateVariable[];
  disabled?: boolean;
}

/** The settings form of one node, built from its kind's JSON Schema. */
export function NodeForm({
  kind,
  config,
  onChange,
  problems = [],
  variables = [],
  disabled = false,
}: NodeFormProps) {
  const idPrefix = useId();
  const fields = useMemo(() => describeForm(kind, config), [kind, config]);
  const placed = useMemo(() => placeProblems(fields, [...problems]), [fields, problems]);
  const context = useMemo<FieldContextValue>(
    () => ({ idPrefix, problemsByField: placed.byField, variables }),
    [idPrefix, placed, variables],
  );

  function changeSetting(key: string, value: unknown): void {
    let next = withKey(config, key, value);
    for (const unused of settingsLeftUnused(kind, key, config, next)) {
      next = withKey(next, unused, undefined);
    }
    onChange(next);
  }

  return (
    <form
      className="node-form"
      aria-label={`${kind.label} settings`}
      data-testid="node-form"
      noValidate
      onSubmit={(event: FormEvent) => event.preventDefault()}
    >
      {placed.general.length > 0 && (
        <section className="node-form__general" aria-label="Problems with this step">
          <ul data-testid="general-problems">
            {placed.general.map((problem, index) => (
              <li key={index}>{problem.message}</li>
            ))}
          </ul>
        </section>
      )}
      <p className="node-form__intro">{kind.description}</p>
      <FieldContext value={context}>
        <fieldset className="node-form__body" disabled={disabled}>
          {fields.map((field) => {
            const key = String(field.path[0]);
            return (
              <FieldView key={key} node={field} onChange={(value) => changeSetting(key, value)} />
            );
          })}
        </fieldset>
      </FieldContext>
    </form>
  );
}
