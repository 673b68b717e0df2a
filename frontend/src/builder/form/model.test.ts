import { describe, expect, it } from 'vitest';

import {
  describeForm,
  matchesPattern,
  placeProblems,
  settingsLeftUnused,
  type FieldNode,
} from './model';
import { kindNamed } from './testKinds';
import type { NodeProblem } from './types';

function flatten(nodes: FieldNode[]): FieldNode[] {
  return nodes.flatMap((node) => [node, ...flatten(node.children)]);
}

function problem(field: string | null): NodeProblem {
  return { code: 'invalid_config', message: `About ${field}`, node: 'ask', field };
}

describe('matchesPattern', () => {
  it('matches list indexes and object keys with *', () => {
    expect(matchesPattern('reminders.*.body', ['reminders', 2, 'body'])).toBe(true);
    expect(matchesPattern('headers.*', ['headers', 'X-Key'])).toBe(true);
    expect(matchesPattern('reminders.*.body', ['reminders', 2, 'after_s'])).toBe(false);
    expect(matchesPattern('body', ['body', 'x'])).toBe(false);
  });
});

describe('describeForm', () => {
  it('picks a control for each kind of setting of the SMS agent', () => {
    const fields = flatten(
      describeForm(kindNamed('agent_sms'), {
        goal: 'Book',
        outcomes: [{ name: 'booked', fields: [{ name: 'at' }] }],
        reminders: [{ after_s: 600, body: 'Hi' }],
      }),
    );
    const control = (field: string) => fields.find((node) => node.field === field)?.control;

    expect(control('config.goal')).toBe('textarea');
    expect(control('config.model')).toBe('text');
    expect(control('config.max_turns')).toBe('number');
    expect(control('config.handoff')).toBe('object');
    expect(control('config.handoff.on_request')).toBe('checkbox');
    expect(control('config.outcomes')).toBe('list');
    expect(control('config.outcomes.0.fields.0.type')).toBe('select');
    expect(control('config.reminders.0.body')).toBe('textarea');
  });

  it('marks template and SMS settings from the kind', () => {
    const fields = flatten(
      describeForm(kindNamed('agent_sms'), { reminders: [{ after_s: 600, body: 'Hi' }] }),
    );
    const body = fields.find((node) => node.field === 'config.reminders.0.body');
    const goal = fields.find((node) => node.field === 'config.goal');

    expect(body).toMatchObject({ isTemplate: true, isSms: true });
    expect(goal).toMatchObject({ isTemplate: false, isSms: false });
  });

  it('shows a list default while the list is absent', () => {
    const fields = describeForm(kindNamed('wait'), { mode: 'business_hours' });
    const days = fields.find((node) => node.field === 'config.days');

    expect(days?.value).toBeUndefined();
    expect(days?.children.map((child) => child.field)).toEqual([
      'config.days.0',
      'config.days.1',
      'config.days.2',
      'config.days.3',
      'config.days.4',
    ]);
  });

  it('leaves out trigger settings of other types unless they are set', () => {
    const shown = (config: Record<string, unknown>) =>
      describeForm(kindNamed('trigger'), config).map((node) => node.field);

    expect(shown({ type: 'webhook' })).toEqual([
      'config.type',
      'config.secret',
      'config.consent_field',
      'config.field_map',
    ]);
    expect(shown({ type: 'missed_call' })).toEqual(['config.type']);
    expect(shown({ type: 'missed_call', keyword: 'JOIN' })).toEqual([
      'config.type',
      'config.keyword',
    ]);
  });

  it('shows the wait settings of the default mode while no mode is set', () => {
    const shown = describeForm(kindNamed('wait'), {}).map((node) => node.field);

    expect(shown).toEqual(['config.mode', 'config.seconds']);
  });
});

describe('settingsLeftUnused', () => {
  it('names the settings of the old trigger type', () => {
    const kind = kindNamed('trigger');

    expect(settingsLeftUnused(kind, 'type', { type: 'webhook' }, { type: 'inbound_sms' })).toEqual([
      'secret',
      'field_map',
      'consent_field',
    ]);
  });
});

describe('placeProblems', () => {
  const fields = describeForm(kindNamed('agent_sms'), {
    goal: 'Book',
    outcomes: [{ name: 'booked' }],
  });

  it('puts a problem at its field, or at the closest field shown', () => {
    const placed = placeProblems(fields, [
      problem('config.goal'),
      problem('config.outcomes.0.name'),
      problem('config.reminders.3.body'),
    ]);

    expect([...placed.byField.keys()]).toEqual([
      'config.goal',
      'config.outcomes.0.name',
      'config.reminders',
    ]);
    expect(placed.general).toEqual([]);
  });

  it('keeps problems of no shown field for the top of the form', () => {
    const placed = placeProblems(fields, [
      problem(null),
      problem('config'),
      problem('label'),
      problem('config.bogus'),
    ]);

    expect(placed.general.map((p) => p.field)).toEqual([null, 'config', 'label', 'config.bogus']);
  });
});
