import { describe, expect, it } from 'vitest';

import { commandFor } from './shortcuts';

function press(key: string, init: KeyboardEventInit = {}, target?: HTMLElement): KeyboardEvent {
  const event = new KeyboardEvent('keydown', { key, ...init });
  if (target !== undefined) {
    Object.defineProperty(event, 'target', { value: target });
  }
  return event;
}

describe('commandFor', () => {
  it('maps the editor shortcuts', () => {
    expect(commandFor(press('z', { ctrlKey: true }))).toBe('undo');
    expect(commandFor(press('Z', { ctrlKey: true, shiftKey: true }))).toBe('redo');
    expect(commandFor(press('y', { metaKey: true }))).toBe('redo');
    expect(commandFor(press('c', { ctrlKey: true }))).toBe('copy');
    expect(commandFor(press('v', { ctrlKey: true }))).toBe('paste');
    expect(commandFor(press('d', { ctrlKey: true }))).toBe('duplicate');
    expect(commandFor(press('Delete'))).toBe('delete');
    expect(commandFor(press('Backspace'))).toBe('delete');
    expect(commandFor(press('f'))).toBe('fitView');
    expect(commandFor(press('l'))).toBe('layout');
    expect(commandFor(press('+'))).toBe('zoomIn');
    expect(commandFor(press('Escape'))).toBe('deselect');
    expect(commandFor(press('q'))).toBeNull();
  });

  it('leaves keys alone while typing in a field, except save', () => {
    const input = document.createElement('textarea');
    expect(commandFor(press('Backspace', {}, input))).toBeNull();
    expect(commandFor(press('z', { ctrlKey: true }, input))).toBeNull();
    expect(commandFor(press('s', { ctrlKey: true }, input))).toBe('save');
  });
});
