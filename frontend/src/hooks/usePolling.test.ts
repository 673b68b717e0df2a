import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { usePolling } from './usePolling';

let isHidden = false;

function setHidden(hidden: boolean): void {
  isHidden = hidden;
  document.dispatchEvent(new Event('visibilitychange'));
}

describe('usePolling', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    isHidden = false;
    vi.spyOn(document, 'hidden', 'get').mockImplementation(() => isHidden);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('polls at once, then once per interval', async () => {
    const poll = vi.fn().mockResolvedValue(undefined);

    renderHook(() => usePolling(poll, 1500));
    await act(() => vi.advanceTimersByTimeAsync(3000));

    expect(poll).toHaveBeenCalledTimes(3);
  });

  it('stops while the tab is hidden and polls again when it comes back', async () => {
    const poll = vi.fn().mockResolvedValue(undefined);
    renderHook(() => usePolling(poll, 1500));
    await act(() => vi.advanceTimersByTimeAsync(0));

    act(() => setHidden(true));
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(poll).toHaveBeenCalledTimes(1);

    act(() => setHidden(false));
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(poll).toHaveBeenCalledTimes(2);
  });

  it('keeps polling after a round fails', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const poll = vi.fn().mockRejectedValueOnce(new Error('boom')).mockResolvedValue(undefined);

    renderHook(() => usePolling(poll, 1500));
    await act(() => vi.advanceTimersByTimeAsync(1500));

    expect(poll).toHaveBeenCalledTimes(2);
  });

  it('aborts the running call and stops when unmounted', async () => {
    const signals: AbortSignal[] = [];
    const poll = vi.fn(async (signal: AbortSignal) => {
      signals.push(signal);
    });
    const { unmount } = renderHook(() => usePolling(poll, 1500));
    await act(() => vi.advanceTimersByTimeAsync(0));

    unmount();
    await act(() => vi.advanceTimersByTimeAsync(10_000));

    expect(poll).toHaveBeenCalledTimes(1);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('does not poll while disabled', async () => {
    const poll = vi.fn().mockResolvedValue(undefined);

    renderHook(() => usePolling(poll, 1500, false));
    await act(() => vi.advanceTimersByTimeAsync(5000));

    expect(poll).not.toHaveBeenCalled();
  });
});
