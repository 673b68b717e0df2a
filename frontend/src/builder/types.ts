import type { NodeKind as FormNodeKind } from './form';

// The shapes the builder exchanges with the server. The workflow format is
// documented in docs/workflow-format.md; node kinds come from
// GET /api/node-kinds/ (workflows/definition.py, kind_schemas).

export interface Position {
  x: number;
  y: number;
}

export type Config = Record<string, unknown>;

export interface GraphNode {
  id: string;
  kind: string;
  label?: string;
  config: Config;
  position?: Position;
  retry?: Record<string, unknown>;
}

export interface GraphEdge {
  source: string;
  port: string;
  // null: the port ends the run on purpose.
  target: string | null;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** A node kind of GET /api/node-kinds/, with what its steps output. */
export interface NodeKind extends FormNodeKind {
  // Output key → what it holds; later steps read steps.<id>.<key>.
  outputs?: Record<string, string>;
}

export type NodeKinds = Record<string, NodeKind>;

export interface Problem {
  code: string;
  message: string;
  node: string | null;
  field: string | null;
}

export interface Workflow {
  id: number;
  name: string;
  description: string;
  status: 'active' | 'archived';
  active_run_policy: string;
  published_version: number | null;
  trigger_type: string;
  hook_url: string | null;
  draft: Graph;
  draft_revision: number;
  runs_last_7_days: number;
  created_at: string;
  updated_at: string;
}

export interface Version {
  number: number;
  graph: Graph;
  published_by: string | null;
  published_at: string;
  rolled_back_from: number | null;
}

export type RunStatus = 'queued' | 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';

export interface Run {
  id: number;
  workflow: number;
  // null for a test run: its version is a frozen copy of the draft.
  version: number | null;
  contact: number;
  // The contact's name, or their number.
  contact_label: string;
  status: RunStatus;
  result: string;
  error: string;
  started_at: string;
  finished_at: string | null;
  is_test: boolean;
}

export interface Step {
  id: number;
  node_id: string;
  kind: string;
  status: string;
  port: string | null;
  input: unknown;
  output: unknown;
  error: string;
  attempt: number;
  due_at: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface RunDetail extends Run {
  context: Record<string, unknown>;
  steps: Step[];
}
