import type { Problem } from './types';

interface ProblemsPanelProps {
  problems: Problem[];
  onPick: (problem: Problem) => void;
}

/** Every problem in the draft; picking one shows its step and field. */
export function ProblemsPanel({ problems, onPick }: ProblemsPanelProps) {
  if (problems.length === 0) {
    return <p className="problems__none">No problems: this draft can be published.</p>;
  }
  return (
    <ul className="problems" data-testid="problems">
      {problems.map((problem, index) => (
        <li key={`${problem.code}-${problem.node}-${problem.field}-${index}`}>
          <button
            type="button"
            className="problems__item"
            onClick={() => onPick(problem)}
            disabled={problem.node === null}
          >
            {problem.node !== null && <code>{problem.node}</code>} {problem.message}
          </button>
        </li>
      ))}
    </ul>
  );
}
