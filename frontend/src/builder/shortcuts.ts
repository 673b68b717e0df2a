// The editor's keyboard shortcuts, in one table so the help list and the
// handler can't disagree. "Mod" is Ctrl, or Cmd on a Mac.

export type Command =
  | 'undo'
  | 'redo'
  | 'copy'
  | 'cut'
  | 'paste'
  | 'duplicate'
  | 'selectAll'
  | 'delete'
  | 'save'
  | 'fitView'
  | 'layout'
  | 'zoomIn'
  | 'zoomOut'
  | 'deselect';

export const SHORTCUTS: { command: Command; keys: string; label: string }[] = [
  { command: 'undo', keys: 'Mod+Z', label: 'Undo' },
  { command: 'redo', keys: 'Mod+Shift+Z or Mod+Y', label: 'Redo' },
  { command: 'copy', keys: 'Mod+C', label: 'Copy the selected steps' },
  { command: 'cut', keys: 'Mod+X', label: 'Cut the selected steps' },
  { command: 'paste', keys: 'Mod+V', label: 'Paste' },
  { command: 'duplicate', keys: 'Mod+D', label: 'Duplicate the selected steps' },
  { command: 'selectAll', keys: 'Mod+A', label: 'Select every step' },
  { command: 'delete', keys: 'Delete or Backspace', label: 'Delete the selection' },
  { command: 'save', keys: 'Mod+S', label: 'Save now' },
  { command: 'fitView', keys: 'F', label: 'Fit the workflow in view' },
  { command: 'layout', keys: 'L', label: 'Arrange the steps automatically' },
  { command: 'zoomIn', keys: '+', label: 'Zoom in' },
  { command: 'zoomOut', keys: '-', label: 'Zoom out' },
  { command: 'deselect', keys: 'Escape', label: 'Clear the selection' },
];

/** The command a key press asks for, or null; typing in a field asks only for save. */
export function commandFor(event: KeyboardEvent): Command | null {
  const mod = event.ctrlKey || event.metaKey;
  const key = event.key.toLowerCase();
  if (mod && key === 's') {
    return 'save';
  }
  if (isTyping(event.target)) {
    return null;
  }
  if (mod) {
    if (key === 'z') {
      return event.shiftKey ? 'redo' : 'undo';
    }
    const withMod: Record<string, Command> = {
      y: 'redo',
      c: 'copy',
      x: 'cut',
      v: 'paste',
      d: 'duplicate',
      a: 'selectAll',
    };
    return withMod[key] ?? null;
  }
  if (event.altKey) {
    return null;
  }
  const plain: Record<string, Command> = {
    delete: 'delete',
    backspace: 'delete',
    f: 'fitView',
    l: 'layout',
    '+': 'zoomIn',
    '=': 'zoomIn',
    '-': 'zoomOut',
    escape: 'deselect',
  };
  return plain[key] ?? null;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) {
    return false;
  }
  return (
    target.isContentEditable ||
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement
  );
}
