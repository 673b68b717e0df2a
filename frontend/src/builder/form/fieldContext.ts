// What every field of one NodeForm shares, and the props of each control.

import { createContext, useContext } from 'react';

import type { FieldNode } from './model';
import type { NodeProblem, TemplateVariable } from './types';

export interface FieldContextValue {
  // Unique per form, so two forms on a page never share element ids.
  idPrefix: string;
  problemsByField: Map<string, NodeProblem[]>;
  variables: readonly TemplateVariable[];
}

export const FieldContext = createContext<FieldContextValue | null>(null);

export function useFieldContext(): FieldContextValue {
  const context = useContext(FieldContext);
  if (context === null) {
    throw new Error('Fields render only inside a NodeForm.');
  }
  return context;
}

export interface ControlProps {
  node: FieldNode;
  // The id of the control, which its label points to.
  id: string;
  // Ids of the help text and problems that describe the control.
  describedBy: string | undefined;
  isInvalid: boolean;
  // undefined removes the setting from the config.
  onChange: (value: unknown) => void;
}

/** An element id for `field` (a dotted path) with `suffix`, safe inside aria-describedby. */
export function fieldDomId(idPrefix: string, field: string, suffix: string): string {
  return `${idPrefix}-${field.replace(/[^\w.-]/g, (char) => `_${char.charCodeAt(0)}`)}-${suffix}`;
}

/** What clearing a control stores: null for nullable settings, else no value at all. */
export function emptyValue(node: FieldNode): null | undefined {
  return node.isNullable ? null : undefined;
}
