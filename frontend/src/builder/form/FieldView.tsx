import type { ReactNode } from 'react';

import { describedByIds, FieldMessages } from './FieldMessages';
import { fieldDomId, useFieldContext, type ControlProps } from './fieldContext';
import { JsonInput } from './JsonInput';
import { ListFieldset } from './ListFieldset';
import { LooseInput } from './LooseInput';
import { MapFieldset } from './MapFieldset';
import type { FieldNode } from './model';
import { NumberInput } from './NumberInput';
import { ObjectFieldset } from './ObjectFieldset';
import { RequiredMark } from './RequiredMark';
import { SelectInput } from './SelectInput';
import { SmsCount } from './SmsCount';
import { TemplateTextarea } from './TemplateTextarea';
import { TextInput } from './TextInput';

interface FieldViewProps {
  node: FieldNode;
  onChange: (value: unknown) => void;
}

/** One setting: its label, control, help and problems; groups for objects and lists. */
export function FieldView({ node, onChange }: FieldViewProps) {
  const { idPrefix, problemsByField } = useFieldContext();
  const id = fieldDomId(idPrefix, node.field, 'input');
  const helpId = fieldDomId(idPrefix, node.field, 'help');
  const problemsId = fieldDomId(idPrefix, node.field, 'problems');
  const problems = problemsByField.get(node.field) ?? [];
  const props: ControlProps = {
    node,
    id,
    describedBy: describedByIds(node, helpId, problemsId, problems),
    isInvalid: problems.length > 0,
    onChange,
  };
  const messages = (
    <FieldMessages
      node={node}
      helpId={helpId}
      problemsId={problemsId}
      problems={problems}
      onClear={node.unusedNote === undefined ? undefined : () => onChange(undefined)}
    />
  );

  switch (node.control) {
    case 'object':
      return <ObjectFieldset {...props} messages={messages} />;
    case 'list':
      return <ListFieldset {...props} messages={messages} />;
    case 'map':
      return <MapFieldset {...props} messages={messages} />;
    case 'checkbox':
      return (
        <div className="node-form__field node-form__field--checkbox" data-testid={node.field}>
          <input
            type="checkbox"
            id={id}
            data-field-path={node.field}
            checked={(node.value ?? node.defaultValue) === true}
            aria-invalid={props.isInvalid || undefined}
            aria-describedby={props.describedBy}
            onChange={(event) => onChange(event.target.checked)}
          />
          <label htmlFor={id}>{node.label}</label>
          {messages}
        </div>
      );
    default:
      return (
        <div className="node-form__field" data-testid={node.field}>
          <label htmlFor={id}>
            {node.label}
            {node.isRequired && <RequiredMark />}
          </label>
          {leafControl(props)}
          {node.isSms && <SmsCount text={typeof node.value === 'string' ? node.value : ''} />}
          {messages}
        </div>
      );
  }
}

function leafControl(props: ControlProps): ReactNode {
  switch (props.node.control) {
    case 'number':
      return <NumberInput {...props} />;
    case 'select':
      return <SelectInput {...props} />;
    case 'loose':
      return <LooseInput {...props} />;
    case 'json':
      return <JsonInput {...props} />;
    default:
      return props.node.isTemplate ? <TemplateTextarea {...props} /> : <TextInput {...props} />;
  }
}
