import { describe, expect, it } from 'vitest';

import { formatLoose, moved, newItem, parseLoose, withRenamedKey } from './values';

describe('parseLoose', () => {
  it.each([
    ['42', 42],
    ['-1.5', -1.5],
    ['true', true],
    ['null', null],
    ['["a", "b"]', ['a', 'b']],
    ['gold', 'gold'],
    ['"42"', '42'],
    ['[1, 2', '[1, 2'],
    ['  ', undefined],
  ])('reads %j as %j', (text, value) => {
    expect(parseLoose(text)).toEqual(value);
  });
});

describe('formatLoose', () => {
  it.each([42, 'gold', '42', 'true', ['a', 'b'], null, { a: 1 }])(
    'writes %j as text that reads back the same',
    (value) => {
      expect(parseLoose(formatLoose(value))).toEqual(value);
    },
  );

  it('shows plain text without quotes', () => {
    expect(formatLoose('gold')).toBe('gold');
  });
});

describe('newItem', () => {
  it('gives an object item the defaults of its properties', () => {
    const item = newItem({
      type: 'object',
      properties: {
        name: { type: 'string' },
        type: { type: 'string', default: 'string' },
        required: { type: 'boolean', default: false },
      },
    });

    expect(item).toEqual({ type: 'string', required: false });
  });

  it('picks the first number not taken in a list of unique numbers', () => {
    expect(newItem({ type: 'integer', minimum: 0, maximum: 6, uniqueItems: true }, [0, 1, 3])).toBe(
      2,
    );
  });

  it('starts text empty', () => {
    expect(newItem({ type: 'string', minLength: 1 })).toBe('');
  });
});

describe('moved', () => {
  it('moves an item and leaves the input alone', () => {
    const items = ['a', 'b', 'c'];

    expect(moved(items, 2, 0)).toEqual(['c', 'a', 'b']);
    expect(items).toEqual(['a', 'b', 'c']);
  });

  it('ignores a move past either end', () => {
    expect(moved(['a', 'b'], 0, -1)).toEqual(['a', 'b']);
  });
});

describe('withRenamedKey', () => {
  it('keeps the entry in its place', () => {
    expect(Object.keys(withRenamedKey({ a: 1, b: 2, c: 3 }, 'b', 'x'))).toEqual(['a', 'x', 'c']);
  });
});
