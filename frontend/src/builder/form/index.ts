/**
 * The settings form of a workflow node, built from the JSON Schemas of
 * GET /api/node-kinds/.
 *
 * ```tsx
 * <NodeForm
 *   kind={kinds[node.kind]}
 *   config={node.config}
 *   onChange={(config) => updateNode(node.id, { config })}
 *   problems={problems.filter((problem) => problem.node === node.id)}
 *   variables={[{ path: 'contact.first_name', description: 'First name' }]}
 * />
 * ```
 *
 * The form is controlled: it shows `config` and hands every edit to
 * `onChange` as a whole new config; schema defaults are shown but stored
 * only once edited. Problems appear at the field their `field` path names,
 * or at the top of the form. Each control carries `data-field-path` (the
 * same path, "config.reminders.0.body"); `focusField(panel, problem.field)`
 * moves focus there, e.g. when a problem listed elsewhere is clicked.
 */
export { NodeForm, type NodeFormProps } from './NodeForm';
export { focusField } from './focusField';
export type { JsonSchema, NodeConfig, NodeKind, NodeProblem, TemplateVariable } from './types';
