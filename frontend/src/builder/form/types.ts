// The shapes GET /api/node-kinds/ serves (workflows/definition.py,
// kind_schemas) and the problems validate_graph reports, as the form reads
// them.

export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'null';

/** The part of JSON Schema (draft 2020-12) the node kinds use. */
export interface JsonSchema {
  type?: JsonType | JsonType[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  pattern?: string;
}

export interface NodeKind {
  label: string;
  description: string;
  schema: JsonSchema;
  ports: string[];
  ports_note: string | null;
  // Dotted patterns of config values; `*` is any list index or object key.
  template_fields: string[];
  sms_fields: string[];
  // Setting → {other setting: values it must have for the setting to be read}.
  applies_when: Record<string, Record<string, unknown[]>>;
  is_wait: boolean;
  is_trigger: boolean;
}

export type NodeConfig = Record<string, unknown>;

/** One problem of validate_graph; `field` is a dotted path such as "config.goal". */
export interface NodeProblem {
  code: string;
  message: string;
  node: string | null;
  field: string | null;
}

/** A value templates can read, e.g. {path: "contact.first_name"}. */
export interface TemplateVariable {
  path: string;
  description?: string;
}

/** Keys and list indexes from the top of a node's config. */
export type FieldPath = readonly (string | number)[];
