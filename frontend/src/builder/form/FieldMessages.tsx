import type { FieldNode } from './model';
import type { NodeProblem } from './types';

interface FieldMessagesProps {
  node: FieldNode;
  helpId: string;
  problemsId: string;
  problems: NodeProblem[];
  onClear?: () => void;
}

/** A field's help text, its problems, and why it is unused, each with its own id. */
export function FieldMessages({ node, helpId, problemsId, problems, onClear }: FieldMessagesProps) {
  const help = [node.description, rangeHint(node)].filter(Boolean).join(' ');

  return (
    <>
      {help !== '' && (
        <p className="node-form__help" id={helpId}>
          {help}
        </p>
      )}
      {node.unusedNote !== undefined && (
        <p className="node-form__unused" data-testid="unused-note">
          {node.unusedNote}{' '}
          {onClear !== undefined && (
            <button type="button" className="node-form__link" onClick={onClear}>
              Clear it
            </button>
          )}
        </p>
      )}
      {problems.length > 0 && (
        <ul className="node-form__problems" id={problemsId} data-testid="field-problems">
          {problems.map((problem, index) => (
            <li key={index}>{problem.message}</li>
          ))}
        </ul>
      )}
    </>
  );
}

/** The ids that describe a field: its problems first, then its help. */
export function describedByIds(
  node: FieldNode,
  helpId: string,
  problemsId: string,
  problems: NodeProblem[],
): string | undefined {
  const ids = [
    problems.length > 0 ? problemsId : null,
    node.description !== undefined || rangeHint(node) !== null ? helpId : null,
  ].filter((id) => id !== null);
  return ids.length > 0 ? ids.join(' ') : undefined;
}

function rangeHint(node: FieldNode): string | null {
  if (node.control !== 'number') {
    return null;
  }
  const { minimum, maximum } = node.schema;
  if (minimum !== undefined && maximum !== undefined) {
    return `From ${minimum} to ${maximum}.`;
  }
  if (minimum !== undefined) {
    return `At least ${minimum}.`;
  }
  return maximum !== undefined ? `At most ${maximum}.` : null;
}
