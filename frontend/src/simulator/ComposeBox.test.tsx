import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { ApiError } from '../api/http';
import { ComposeBox } from './ComposeBox';

describe('ComposeBox', () => {
  it('sends on Enter and clears the input', async () => {
    const user = userEvent.setup();
    const onSend = vi.fn().mockResolvedValue(undefined);
    render(<ComposeBox onSend={onSend} />);

    await user.type(screen.getByTestId('compose-input'), 'On my way{Enter}');

    expect(onSend).toHaveBeenCalledExactlyOnceWith('On my way');
    expect(screen.getByTestId('compose-input')).toHaveValue('');
  });

  it('starts a new line on Shift+Enter without sending', async () => {
    const user = userEvent.setup();
    const onSend = vi.fn().mockResolvedValue(undefined);
    render(<ComposeBox onSend={onSend} />);

    await user.type(screen.getByTestId('compose-input'), 'Line one{Shift>}{Enter}{/Shift}two');

    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByTestId('compose-input')).toHaveValue('Line one\ntwo');
  });

  it('does not send a blank message', async () => {
    const user = userEvent.setup();
    const onSend = vi.fn().mockResolvedValue(undefined);
    render(<ComposeBox onSend={onSend} />);

    await user.type(screen.getByTestId('compose-input'), '   {Enter}');

    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByTestId('compose-send')).toBeDisabled();
  });

  it('disables the input and button while the message is sending', async () => {
    const user = userEvent.setup();
    let accept: () => void = () => {};
    const onSend = vi.fn(() => new Promise<void>((resolve) => (accept = resolve)));
    render(<ComposeBox onSend={onSend} />);

    await user.type(screen.getByTestId('compose-input'), 'Hello{Enter}');

    expect(screen.getByTestId('compose-input')).toBeDisabled();
    expect(screen.getByTestId('compose-send')).toBeDisabled();
    expect(screen.getByTestId('compose-send')).toHaveTextContent('Sending…');

    accept();

    expect(await screen.findByTestId('compose-input')).toBeEnabled();
    expect(screen.getByTestId('compose-input')).toHaveValue('');
    expect(screen.getByTestId('compose-input')).toHaveFocus();
  });

  it("shows the server's error detail and keeps the text", async () => {
    const user = userEvent.setup();
    const detail = 'This number opted out. Text START to opt back in, then try again.';
    const onSend = vi.fn().mockRejectedValue(new ApiError(400, 'contact_opted_out', detail));
    render(<ComposeBox onSend={onSend} />);

    await user.type(screen.getByTestId('compose-input'), 'Hi again{Enter}');

    expect(await screen.findByTestId('compose-error')).toHaveTextContent(detail);
    expect(screen.getByTestId('compose-input')).toHaveValue('Hi again');
  });

  it('updates the segment counter as the text changes', async () => {
    const user = userEvent.setup();
    render(<ComposeBox onSend={vi.fn()} />);

    await user.type(screen.getByTestId('compose-input'), 'Hi 😀');

    expect(screen.getByTestId('segment-counter')).toHaveTextContent('UCS-2');
  });
});
