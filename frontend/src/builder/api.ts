// Every server call of the builder pages. The API is documented at /api/docs/.
import { getJson, postJson, request } from '../api/http';
import type { Graph, NodeKinds, Problem, Run, RunDetail, Version, Workflow } from './types';

const API = '/api';

interface Page<T> {
  count: number;
  next: string | null;
  results: T[];
}

export async function listWorkflows(signal?: AbortSignal): Promise<Workflow[]> {
  const workflows: Workflow[] = [];
  let url: string | null = `${API}/workflows/`;
  while (url !== null) {
    const page: Page<Workflow> = await getJson<Page<Workflow>>(url, signal);
    workflows.push(...page.results);
    url = page.next;
  }
  return workflows;
}

export function getWorkflow(id: number, signal?: AbortSignal): Promise<Workflow> {
  return getJson<Workflow>(`${API}/workflows/${id}/`, signal);
}

export function createWorkflow(name: string): Promise<Workflow> {
  return postJson<Workflow>(`${API}/workflows/`, { name });
}

export function updateWorkflow(id: number, fields: Partial<Workflow>): Promise<Workflow> {
  return request<Workflow>('PATCH', `${API}/workflows/${id}/`, fields);
}

/** Save the draft; the server refuses it (409) if someone saved since `revision`. */
export function saveDraft(id: number, graph: Graph, revision: number): Promise<Workflow> {
  return request<Workflow>('PUT', `${API}/workflows/${id}/draft/`, { graph, revision });
}

export function validateDraft(id: number, signal?: AbortSignal): Promise<Problem[]> {
  return postJson<Problem[]>(`${API}/workflows/${id}/validate/`, undefined, signal);
}

export function publish(id: number): Promise<Version> {
  return postJson<Version>(`${API}/workflows/${id}/publish/`, undefined);
}

export function listVersions(id: number, signal?: AbortSignal): Promise<Version[]> {
  return getJson<Version[]>(`${API}/workflows/${id}/versions/`, signal);
}

export function rollback(id: number, number: number): Promise<Version> {
  return postJson<Version>(`${API}/workflows/${id}/rollback/`, { number });
}

export function getNodeKinds(signal?: AbortSignal): Promise<NodeKinds> {
  return getJson<NodeKinds>(`${API}/node-kinds/`, signal);
}

export interface RunFilter {
  workflow: number;
  status?: string;
  contact?: string;
}

/** The newest runs matching `filter`: the first page, newest first. */
export async function listRuns(filter: RunFilter, signal?: AbortSignal): Promise<Run[]> {
  const params = new URLSearchParams({ workflow: String(filter.workflow) });
  if (filter.status) {
    params.set('status', filter.status);
  }
  if (filter.contact) {
    params.set('contact', filter.contact);
  }
  const page = await getJson<Page<Run>>(`${API}/runs/?${params}`, signal);
  return page.results;
}

export function getRun(id: number, signal?: AbortSignal): Promise<RunDetail> {
  return getJson<RunDetail>(`${API}/runs/${id}/`, signal);
}

export function cancelRun(id: number): Promise<Run> {
  return postJson<Run>(`${API}/runs/${id}/cancel/`, undefined);
}

export function retryRun(id: number): Promise<Run> {
  return postJson<Run>(`${API}/runs/${id}/retry/`, undefined);
}

export interface Variable {
  path: string;
  description?: string;
}

/** The template variables a step can use, from the last saved draft. */
export function listVariables(
  workflowId: number,
  nodeId: string,
  signal?: AbortSignal,
): Promise<Variable[]> {
  const params = new URLSearchParams({ node: nodeId });
  return getJson<Variable[]>(`${API}/workflows/${workflowId}/variables/?${params}`, signal);
}

/** Freeze the saved draft into a test version and run it for one contact. */
export function startTestRun(
  workflowId: number,
  contact: number,
  payload: Record<string, unknown>,
): Promise<Run> {
  return postJson<Run>(`${API}/workflows/${workflowId}/test-runs/`, { contact, payload });
}

export interface AgentTestResult {
  node_id: string;
  name: string;
  passed: boolean;
  port: string;
  expected_port: string;
  captured: Record<string, unknown>;
  expected_fields: Record<string, unknown>;
  problems: string[];
  transcript: { from: 'agent' | 'contact'; text: string }[];
  model: string;
  tokens: number;
  cost_usd: string;
}

export interface AgentTestReport {
  passed: number;
  failed: number;
  results: AgentTestResult[];
}

/** Run the draft's SMS agent test conversations; nothing is texted. */
export function runAgentTests(workflowId: number): Promise<AgentTestReport> {
  return postJson<AgentTestReport>(`${API}/workflows/${workflowId}/test-agents/`, {
    version: 'draft',
  });
}

export interface WorkflowTemplate {
  slug: string;
  name: string;
  description: string;
  trigger_type: string;
  node_count: number;
}

export function listTemplates(signal?: AbortSignal): Promise<WorkflowTemplate[]> {
  return getJson<WorkflowTemplate[]>(`${API}/workflow-templates/`, signal);
}

export function createFromTemplate(template: string, name?: string): Promise<Workflow> {
  return postJson<Workflow>(
    `${API}/workflows/from-template/`,
    name ? { template, name } : { template },
  );
}

export function duplicateWorkflow(id: number): Promise<Workflow> {
  return postJson<Workflow>(`${API}/workflows/${id}/duplicate/`, undefined);
}

/** Import a workflow exported as JSON; it arrives as a new, unpublished draft. */
export function importWorkflow(exported: unknown): Promise<Workflow> {
  return postJson<Workflow>(`${API}/workflows/import/`, exported);
}

export function exportUrl(id: number): string {
  return `${API}/workflows/${id}/export/`;
}
