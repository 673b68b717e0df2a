import { screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { focusField } from './focusField';
import { renderForm } from './testForm';
import { kinds } from './testKinds';
import type { NodeProblem } from './types';

function field(path: string): HTMLElement {
  return screen.getByTestId(path);
}

function control(path: string): HTMLElement {
  const element = document.querySelector<HTMLElement>(`[data-field-path="${path}"]`);
  if (element === null) {
    throw new Error(`No control for ${path}.`);
  }
  return element;
}

function problem(fieldPath: string | null, message: string): NodeProblem {
  return { code: 'invalid_config', message, node: 'n1', field: fieldPath };
}

describe('NodeForm', () => {
  describe('renders every kind from the served schemas', () => {
    const selectors: Record<string, Record<string, unknown>[]> = {
      trigger: ['webhook', 'inbound_sms', 'missed_call', 'contact_tagged', 'manual'].map(
        (type) => ({ type }),
      ),
      wait: ['duration', 'until', 'business_hours'].map((mode) => ({ mode })),
    };
    const cases = Object.keys(kinds).flatMap((name) =>
      (selectors[name] ?? [{}]).map((config) => [name, config] as const),
    );

    it.each(cases)('%s with %j', (name, config) => {
      const kind = kinds[name]!;
      const consoleError = vi.spyOn(console, 'error');
      renderForm(name, config);

      expect(consoleError).not.toHaveBeenCalled();

      expect(screen.getByRole('form', { name: `${kind.label} settings` })).toBeInTheDocument();
      for (const [key, schema] of Object.entries(kind.schema.properties ?? {})) {
        const needs = kind.applies_when[key];
        const applies =
          needs === undefined ||
          Object.entries(needs).every(([selector, values]) =>
            values.includes(config[selector] ?? kind.schema.properties?.[selector]?.default),
          );
        if (applies) {
          expect(field(`config.${key}`)).toHaveTextContent(schema.title ?? key);
        } else {
          expect(screen.queryByTestId(`config.${key}`)).not.toBeInTheDocument();
        }
      }
    });
  });

  it('renders a full agent step with nested lists and objects', () => {
    const consoleError = vi.spyOn(console, 'error');
    renderForm('agent_sms', {
      goal: 'Book a visit',
      outcomes: [{ name: 'booked', fields: [{ name: 'kind', type: 'enum', values: ['a', 'b'] }] }],
      reminders: [{ after_s: 600, body: 'Still there?' }],
      tests: [
        { name: 'Yes', replies: ['yes'], expect_port: 'booked', contact: { first_name: 'Ana' } },
      ],
    });

    expect(control('config.outcomes.0.fields.0.values.1')).toHaveValue('b');
    expect(control('config.tests.0.contact')).toHaveValue('{\n  "first_name": "Ana"\n}');
    expect(control('config.handoff.on_request')).toBeChecked();
    expect(control('config.handoff.on_low_confidence')).not.toBeChecked();
    expect(consoleError).not.toHaveBeenCalled();
  });

  describe('editing', () => {
    it('stores typed text and nothing else', async () => {
      const { user, lastConfig } = renderForm('agent_sms', {});

      await user.type(control('config.goal'), 'Book a visit');

      expect(lastConfig()).toEqual({ goal: 'Book a visit' });
    });

    it('shows defaults without storing them', () => {
      renderForm('agent_sms', {});

      expect(control('config.max_turns')).toHaveValue(null);
      expect(control('config.max_turns')).toHaveAttribute('placeholder', '10');
      expect(control('config.handoff.on_request')).toBeChecked();
    });

    it('removes a cleared text setting', async () => {
      const { user, lastConfig } = renderForm('agent_sms', { goal: 'x', persona: 'Sam' });

      await user.clear(control('config.persona'));

      expect(lastConfig()).toEqual({ goal: 'x' });
    });

    it('stores a number within the schema bounds', async () => {
      const { user, lastConfig } = renderForm('agent_sms', {});

      await user.type(control('config.max_turns'), '12');

      expect(lastConfig()).toEqual({ max_turns: 12 });
      expect(control('config.max_turns')).toHaveAttribute('min', '1');
      expect(control('config.max_turns')).toHaveAttribute('max', '50');
      expect(field('config.max_turns')).toHaveTextContent('From 1 to 50.');
    });

    it('stores null when a nullable integer is emptied', async () => {
      const { user, lastConfig } = renderForm('send_sms', { body: 'Hi', sender_id: 3 });

      await user.clear(control('config.sender_id'));

      expect(lastConfig()).toEqual({ body: 'Hi', sender_id: null });
    });

    it('stores the chosen option of a select', async () => {
      const { user, lastConfig } = renderForm('send_sms', { body: 'Hi' });
      expect(control('config.purpose')).toHaveDisplayValue('notification');

      await user.selectOptions(control('config.purpose'), 'marketing');

      expect(lastConfig()).toEqual({ body: 'Hi', purpose: 'marketing' });
    });

    it('stores null for the None option of a nullable enum', async () => {
      const { user, lastConfig } = renderForm('crm_update', { deal_stage: 'won' });

      await user.selectOptions(control('config.deal_stage'), 'None');

      expect(lastConfig()).toEqual({ deal_stage: null });
    });

    it('stores a ticked box inside a nested object', async () => {
      const { user, lastConfig } = renderForm('agent_sms', {});

      await user.click(screen.getByLabelText('When unsure'));

      expect(lastConfig()).toEqual({ handoff: { on_low_confidence: true } });
    });

    it.each([
      ['42', 42],
      ['gold', 'gold'],
      ['"42"', '42'],
      ['["a", "b"]', ['a', 'b']],
    ])('reads a condition value typed as %s', async (typed, value) => {
      const { user, lastConfig } = renderForm('branch', {
        conditions: [{ port: 'vip', when: { var: 'vars.score', op: 'eq' } }],
      });

      await user.click(control('config.conditions.0.when.value'));
      await user.paste(typed);

      expect(lastConfig()).toEqual({
        conditions: [{ port: 'vip', when: { var: 'vars.score', op: 'eq', value } }],
      });
    });

    it('keeps an unfinished list as typed in a condition value', async () => {
      const { user } = renderForm('branch', {
        conditions: [{ port: 'vip', when: { var: 'vars.score', op: 'in' } }],
      });

      await user.type(control('config.conditions.0.when.value'), '[[1, 2');

      expect(control('config.conditions.0.when.value')).toHaveValue('[1, 2');
    });

    it('stores a JSON object and refuses other JSON', async () => {
      const { user, lastConfig } = renderForm('agent_sms', {
        tests: [{ name: 't', replies: ['yes'], expect_port: 'timeout' }],
      });
      const input = control('config.tests.0.expect_fields');

      await user.click(input);
      await user.paste('{"when": "tomorrow"}');
      expect(lastConfig()).toMatchObject({ tests: [{ expect_fields: { when: 'tomorrow' } }] });

      await user.clear(input);
      await user.paste('[1]');
      expect(screen.getByText(/write a JSON object/)).toBeInTheDocument();
      expect(input).toHaveAttribute('aria-invalid', 'true');
    });

    it('adds, names and fills a map entry', async () => {
      const { user, lastConfig } = renderForm('http_request', { url: 'https://x.test' });

      await user.click(screen.getByRole('button', { name: 'Add header' }));
      await user.type(within(field('config.headers')).getByLabelText('Name'), 'X-Key');
      await user.type(control('config.headers.X-Key'), 'abc');

      expect(lastConfig()).toEqual({ url: 'https://x.test', headers: { 'X-Key': 'abc' } });
    });

    it('does not merge a map entry into another of the same name', async () => {
      const { user, lastConfig } = renderForm('trigger', {
        type: 'webhook',
        field_map: { phone: 'form.phone', name: 'form.name' },
      });
      const [, second] = within(field('config.field_map')).getAllByLabelText('Name');

      await user.clear(second!);
      await user.type(second!, 'phone');

      expect(lastConfig().field_map).toEqual({ phone: 'form.phone', phon: 'form.name' });
      expect(second).toHaveAttribute('aria-invalid', 'true');
      expect(screen.getByText(/Another entry is named “phone”/)).toBeInTheDocument();
    });

    it('disables every control when asked', () => {
      renderForm('agent_sms', { goal: 'x' }, { disabled: true });

      expect(control('config.goal')).toBeDisabled();
      expect(screen.getByRole('button', { name: 'Add outcome' })).toBeDisabled();
    });
  });

  describe('lists', () => {
    it('adds an item with the schema defaults, then reorders and removes', async () => {
      const { user, lastConfig } = renderForm('agent_sms', { knowledge: ['a'] });

      await user.click(screen.getByRole('button', { name: 'Add fact' }));
      await user.type(control('config.knowledge.1'), 'b');
      expect(lastConfig()).toEqual({ knowledge: ['a', 'b'] });

      await user.click(screen.getByRole('button', { name: 'Move fact 2 up' }));
      expect(lastConfig()).toEqual({ knowledge: ['b', 'a'] });
      expect(screen.getByRole('button', { name: 'Move fact 1 up' })).toBeDisabled();

      await user.click(screen.getByRole('button', { name: 'Remove fact 1' }));
      expect(lastConfig()).toEqual({ knowledge: ['a'] });
    });

    it('keeps focus on the moved item', async () => {
      const { user, lastConfig } = renderForm('human_handoff', { outcomes: ['a', 'b', 'c'] });

      await user.click(screen.getByRole('button', { name: 'Move outcome 1 down' }));
      await user.keyboard('{Enter}');

      expect(lastConfig()).toEqual({ outcomes: ['b', 'c', 'a'] });
      expect(screen.getByRole('button', { name: 'Move outcome 3 up' })).toHaveFocus();
    });

    it('starts from the default list when one item is removed', async () => {
      const { user, lastConfig } = renderForm('wait', { mode: 'business_hours' });

      await user.click(screen.getByRole('button', { name: 'Remove day 5' }));

      expect(lastConfig()).toEqual({ mode: 'business_hours', days: [0, 1, 2, 3] });
    });

    it('gives a new object item the defaults of its settings', async () => {
      const { user, lastConfig } = renderForm('agent_sms', { outcomes: [{ name: 'a' }] });
      const outcome = field('config.outcomes.0');

      await user.click(within(outcome).getByRole('button', { name: 'Add field' }));

      expect(lastConfig()).toEqual({
        outcomes: [{ name: 'a', fields: [{ type: 'string', required: false }] }],
      });
    });

    it('stops adding at the maximum', () => {
      renderForm('agent_sms', {
        reminders: [1, 2, 3, 4, 5].map((n) => ({ after_s: n * 60, body: 'Hi' })),
      });

      expect(screen.getByRole('button', { name: 'Add reminder' })).toBeDisabled();
    });
  });

  it('edits outcomes into the config the ports come from', async () => {
    const { user, lastConfig } = renderForm('agent_sms', {
      goal: 'Book',
      outcomes: [{ name: 'booked' }],
    });

    await user.click(screen.getByRole('button', { name: 'Add outcome' }));
    await user.type(within(field('config.outcomes.1')).getByLabelText(/^Name/), 'declined');
    await user.clear(within(field('config.outcomes.0')).getByLabelText(/^Name/));
    await user.type(within(field('config.outcomes.0')).getByLabelText(/^Name/), 'confirmed');

    expect(lastConfig()).toEqual({
      goal: 'Book',
      outcomes: [{ name: 'confirmed' }, { name: 'declined', description: '', fields: [] }],
    });
  });

  describe('trigger types', () => {
    it('shows the settings of the chosen type and drops the old ones', async () => {
      const { user, lastConfig } = renderForm('trigger', {
        type: 'webhook',
        secret: 's3cret',
      });
      expect(control('config.secret')).toHaveValue('s3cret');
      expect(screen.queryByTestId('config.keyword')).not.toBeInTheDocument();

      await user.selectOptions(control('config.type'), 'inbound_sms');

      expect(lastConfig()).toEqual({ type: 'inbound_sms' });
      expect(screen.queryByTestId('config.secret')).not.toBeInTheDocument();
      expect(control('config.keyword')).toBeInTheDocument();
    });

    it('offers to clear a setting the type does not read', async () => {
      const { user, lastConfig } = renderForm('trigger', { type: 'missed_call', keyword: 'JOIN' });
      expect(screen.getByTestId('unused-note')).toHaveTextContent(
        'Only read when Starts on is inbound_sms; it is missed_call.',
      );

      await user.click(screen.getByRole('button', { name: 'Clear it' }));

      expect(lastConfig()).toEqual({ type: 'missed_call' });
      expect(screen.queryByTestId('config.keyword')).not.toBeInTheDocument();
    });

    it('asks for a type before showing any option', () => {
      renderForm('trigger', {});

      expect(control('config.type')).toHaveDisplayValue('Choose…');
      expect(screen.queryByTestId('config.field_map')).not.toBeInTheDocument();
    });
  });

  describe('problems', () => {
    it('shows a problem at its field and describes the input with it', () => {
      const message = 'In Ask, reminder 1 comes after 90000 seconds.';
      renderForm(
        'agent_sms',
        { reminders: [{ after_s: 90000, body: 'Hi' }] },
        { problems: [problem('config.reminders.0.after_s', message)] },
      );
      const input = control('config.reminders.0.after_s');

      expect(
        within(field('config.reminders.0.after_s')).getByTestId('field-problems'),
      ).toHaveTextContent(message);
      expect(input).toHaveAttribute('aria-invalid', 'true');
      expect(input).toHaveAccessibleDescription(expect.stringContaining(message));
      expect(screen.queryByTestId('general-problems')).not.toBeInTheDocument();
    });

    it('shows a problem of a missing entry at the enclosing field', () => {
      const message = 'The field mapping does not say where the phone number is.';
      renderForm(
        'trigger',
        { type: 'webhook' },
        { problems: [problem('config.field_map.phone', message)] },
      );

      expect(within(field('config.field_map')).getByTestId('field-problems')).toHaveTextContent(
        message,
      );
    });

    it('lists problems of no field at the top', () => {
      renderForm(
        'end',
        {},
        {
          problems: [
            problem(null, "'End' can't be reached from the trigger."),
            problem('config.bogus', "'bogus' is not a setting."),
          ],
        },
      );

      expect(screen.getByTestId('general-problems')).toHaveTextContent(
        "'End' can't be reached from the trigger.'bogus' is not a setting.",
      );
    });

    it('focuses the control of a problem, or of its closest field', () => {
      const { container } = renderForm('trigger', {
        type: 'webhook',
        field_map: { first_name: 'form.name' },
      });

      expect(focusField(container, 'config.field_map.phone')).toBe(true);
      expect(within(field('config.field_map')).getAllByLabelText('Name')[0]).toHaveFocus();

      expect(focusField(container, 'config.secret')).toBe(true);
      expect(control('config.secret')).toHaveFocus();

      expect(focusField(container, 'edges.0.target')).toBe(false);
    });
  });
});
