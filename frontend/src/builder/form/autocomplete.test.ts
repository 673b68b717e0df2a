import { describe, expect, it } from 'vitest';

import { filterVariables, findOpenTag, insertVariable } from './autocomplete';

describe('findOpenTag', () => {
  it('finds the path typed after an open {{', () => {
    expect(findOpenTag('Hi {{ contact.fir', 17)).toEqual({ start: 3, query: 'contact.fir' });
  });

  it('opens on {{ alone', () => {
    expect(findOpenTag('Hi {{', 5)).toEqual({ start: 3, query: '' });
  });

  it('ignores a closed expression', () => {
    expect(findOpenTag('Hi {{ contact.first_name }} ', 28)).toBeNull();
  });

  it('ignores an expression with a filter', () => {
    expect(findOpenTag('{{ name | default(', 18)).toBeNull();
  });

  it('reads only up to the caret', () => {
    expect(findOpenTag('{{ contact.first_name }}', 10)).toEqual({ start: 0, query: 'contact' });
  });
});

describe('filterVariables', () => {
  const variables = [
    { path: 'contact.first_name' },
    { path: 'steps.ask.fields.first_visit' },
    { path: 'contact.phone' },
  ];

  it('lists paths that start with the query first, ignoring case', () => {
    expect(filterVariables(variables, 'FIRST').map((v) => v.path)).toEqual([
      'contact.first_name',
      'steps.ask.fields.first_visit',
    ]);
    expect(filterVariables(variables, 'steps').map((v) => v.path)).toEqual([
      'steps.ask.fields.first_visit',
    ]);
  });
});

describe('insertVariable', () => {
  it('replaces the open tag with a whole expression', () => {
    expect(insertVariable('Hi {{ con!', 3, 9, 'contact.first_name')).toEqual({
      text: 'Hi {{ contact.first_name }}!',
      caret: 27,
    });
  });

  it('takes in closing braces already there', () => {
    expect(insertVariable('{{ co }} x', 0, 5, 'contact.phone')).toEqual({
      text: '{{ contact.phone }} x',
      caret: 19,
    });
  });
});
