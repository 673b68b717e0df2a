/** The star after the label of a setting the step can't do without. */
export function RequiredMark() {
  return (
    <span className="node-form__required" title="Required">
      {' '}
      *
    </span>
  );
}
