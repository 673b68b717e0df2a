import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { renderForm } from './testForm';

const variables = [
  { path: 'contact.first_name', description: "The contact's first name" },
  { path: 'contact.last_name' },
  { path: 'contact.phone' },
  { path: 'workspace.name' },
];

function body(): HTMLTextAreaElement {
  return screen.getByLabelText(/^Message/) as HTMLTextAreaElement;
}

function optionNames(): string[] {
  return within(screen.getByRole('listbox', { name: 'Variables' }))
    .getAllByRole('option')
    .map((option) => option.querySelector('code')?.textContent ?? '');
}

describe('TemplateTextarea', () => {
  it('lists variables once {{ is typed, filtered by what follows', async () => {
    const { user } = renderForm('send_sms', {}, { variables });

    await user.type(body(), 'Hi {{{{');
    expect(optionNames()).toEqual([
      'contact.first_name',
      'contact.last_name',
      'contact.phone',
      'workspace.name',
    ]);

    await user.type(body(), ' contact.');
    expect(optionNames()).toEqual(['contact.first_name', 'contact.last_name', 'contact.phone']);
    expect(screen.getByRole('status')).toHaveTextContent('3 variables');
  });

  it('inserts the chosen variable at the caret with arrows and Enter', async () => {
    const { user, lastConfig } = renderForm('send_sms', { body: 'Hello !' }, { variables });
    const input = body();

    await user.type(input, '{{{{ la', { initialSelectionStart: 6, initialSelectionEnd: 6 });
    expect(optionNames()).toEqual(['contact.last_name']);
    await user.keyboard('{Enter}');

    expect(lastConfig()).toEqual({ body: 'Hello {{ contact.last_name }}!' });
    expect(input.selectionStart).toBe('Hello {{ contact.last_name }}'.length);
    expect(screen.queryByRole('listbox')).not.toBeInTheDocument();
  });

  it('moves through the options with the arrow keys and inserts with Tab', async () => {
    const { user, lastConfig } = renderForm('send_sms', {}, { variables });

    await user.type(body(), '{{{{ contact');
    await user.keyboard('{ArrowDown}{ArrowDown}{ArrowUp}{ArrowUp}{ArrowUp}');
    const active = body().getAttribute('aria-activedescendant');
    expect(document.getElementById(active ?? '')).toHaveTextContent('contact.phone');
    await user.keyboard('{Tab}');

    expect(lastConfig()).toEqual({ body: '{{ contact.phone }}' });
    expect(body()).toHaveFocus();
  });

  it('inserts a variable clicked with the mouse', async () => {
    const { user, lastConfig } = renderForm('send_sms', {}, { variables });

    await user.type(body(), 'From {{{{');
    await user.click(screen.getByRole('option', { name: /workspace\.name/ }));

    expect(lastConfig()).toEqual({ body: 'From {{ workspace.name }}' });
    expect(body()).toHaveFocus();
  });

  it('closes on Escape and stays closed while typing in that expression', async () => {
    const { user } = renderForm('send_sms', {}, { variables });

    await user.type(body(), '{{{{');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('listbox')).not.toBeInTheDocument();

    await user.type(body(), ' con');
    expect(screen.queryByRole('listbox')).not.toBeInTheDocument();
  });

  it('opens on Ctrl+Space without braces and inserts a whole expression', async () => {
    const { user, lastConfig } = renderForm('send_sms', { body: 'Hi ' }, { variables });

    await user.click(body());
    await user.keyboard('{Control>} {/Control}');
    expect(optionNames()).toHaveLength(4);
    await user.keyboard('work{Enter}');

    expect(lastConfig()).toEqual({ body: 'Hi {{ workspace.name }}' });
  });

  it('says when no variable matches', async () => {
    const { user } = renderForm('send_sms', {}, { variables });

    await user.type(body(), '{{{{ zzz');

    expect(screen.getByTestId('variable-list-empty')).toHaveTextContent(
      'No variable matches “zzz”.',
    );
  });

  it('offers variables in templates inside lists and maps', async () => {
    const { user } = renderForm('crm_update', { fields: { company: '' } }, { variables });

    await user.type(screen.getByTestId('config.fields.company').querySelector('textarea')!, '{{{{');

    expect(screen.getByRole('listbox', { name: 'Variables' })).toBeInTheDocument();
  });

  describe('SMS segment counter', () => {
    it('counts as the text is typed and switches to UCS-2 on an emoji', async () => {
      const { user } = renderForm('send_sms', {});
      const counter = () =>
        within(screen.getByTestId('config.body')).getByTestId('segment-counter');

      await user.type(body(), 'See you at 5');
      expect(counter()).toHaveTextContent('12/160 · 1 segment · GSM-7');

      await user.type(body(), ' 🙂');
      expect(counter()).toHaveTextContent('UCS-2 (🙂)');
    });

    it('counts each text the agent sends, and no other setting', () => {
      renderForm('agent_sms', {
        opening_message: 'Hi',
        reminders: [{ after_s: 600, body: 'Still there?' }],
        instructions: 'Be brief',
      });

      expect(
        within(screen.getByTestId('config.opening_message')).getByTestId('segment-counter'),
      ).toHaveTextContent('2/160');
      expect(
        within(screen.getByTestId('config.reminders.0.body')).getByTestId('segment-counter'),
      ).toHaveTextContent('12/160');
      expect(screen.getAllByTestId('segment-counter')).toHaveLength(2);
    });

    it('is not shown for a hand-off note', () => {
      renderForm('human_handoff', { note: 'Call back', outcomes: ['done'] });

      expect(screen.queryByTestId('segment-counter')).not.toBeInTheDocument();
    });

    it('warns that template parts change the count', () => {
      renderForm('send_sms', { body: 'Hi {{ contact.first_name }}' });

      expect(screen.getByText(/Counted as written/)).toBeInTheDocument();
    });
  });
});
