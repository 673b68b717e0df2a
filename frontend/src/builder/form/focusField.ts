// Moving focus to the input of a problem's field, for an editor that lists
// problems elsewhere and jumps to one when it is clicked.

const CONTROLS = 'input, select, textarea, button';

/**
 * Focus the form control for `field` ("config.reminders.0.body") inside
 * `root`, or the closest enclosing field the form shows. Returns false when
 * no field of the path is on the page.
 */
export function focusField(root: ParentNode, field: string): boolean {
  const parts = field.split('.');
  for (let length = parts.length; length > 0; length -= 1) {
    const path = parts.slice(0, length).join('.');
    const selector = `[data-field-path="${path.replace(/["\\]/g, '\\$&')}"]`;
    const element = root.querySelector<HTMLElement>(selector);
    if (element === null) {
      continue;
    }
    const control = element.matches(CONTROLS)
      ? element
      : element.querySelector<HTMLElement>(CONTROLS);
    (control ?? element).focus();
    return true;
  }

  return false;
}
