import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Alerts } from './alerts';

const MINUTE_MS = 60_000;

class FakeNotification {
  static permission: NotificationPermission = 'default';
  // What the person answers when the browser asks.
  static answer: NotificationPermission = 'granted';
  static requestPermission = vi.fn(async () => {
    FakeNotification.permission = FakeNotification.answer;
    return FakeNotification.answer;
  });
  static shown: FakeNotification[] = [];

  readonly title: string;
  readonly options: NotificationOptions;
  onclick: (() => void) | null = null;
  close = vi.fn();

  constructor(title: string, options: NotificationOptions) {
    this.title = title;
    this.options = options;
    FakeNotification.shown.push(this);
  }
}

// Counts the notes of each chime; the sound itself is not the point.
let tonesPlayed = 0;
let audioContextsMade = 0;

class FakeAudioContext {
  currentTime = 0;
  destination = {};

  constructor() {
    audioContextsMade += 1;
  }

  resume = async () => {};

  createOscillator() {
    return {
      frequency: { value: 0 },
      connect: (target: unknown) => target,
      start: () => {
        tonesPlayed += 1;
      },
      stop: () => {},
    };
  }

  createGain() {
    return {
      gain: { setValueAtTime: () => {}, exponentialRampToValueAtTime: () => {} },
      connect: (target: unknown) => target,
    };
  }
}

describe('Alerts', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-12-03T18:00:00Z'));
    window.localStorage.clear();
    FakeNotification.permission = 'default';
    FakeNotification.answer = 'granted';
    FakeNotification.requestPermission.mockClear();
    FakeNotification.shown = [];
    tonesPlayed = 0;
    audioContextsMade = 0;
    vi.stubGlobal('Notification', FakeNotification);
    vi.stubGlobal('AudioContext', FakeAudioContext);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('is off until switched on, and then neither sounds nor notifies', () => {
    FakeNotification.permission = 'granted';
    const alerts = new Alerts();

    alerts.handoff(7, 'Maya Lopez needs a person', 'Wants a callback', () => {});

    expect(alerts.permission).toBe('off');
    expect(FakeNotification.shown).toHaveLength(0);
    expect(audioContextsMade).toBe(0);
  });

  it('asks the browser for permission to notify when switched on', async () => {
    const alerts = new Alerts();

    const permission = await alerts.enable();

    expect(FakeNotification.requestPermission).toHaveBeenCalledTimes(1);
    expect(permission).toBe('on');
  });

  it('does not ask again once the browser has an answer', async () => {
    FakeNotification.permission = 'granted';

    await new Alerts().enable();

    expect(FakeNotification.requestPermission).not.toHaveBeenCalled();
  });

  it('says so when the browser refuses notifications', async () => {
    FakeNotification.answer = 'denied';

    expect(await new Alerts().enable()).toBe('denied');
  });

  it('remembers being switched on or off for the next page', async () => {
    await new Alerts().enable();
    expect(new Alerts().permission).toBe('on');

    new Alerts().disable();
    expect(new Alerts().permission).toBe('off');
  });

  it('chimes and shows one notification for a handoff', async () => {
    const alerts = new Alerts();
    await alerts.enable();

    alerts.handoff(7, 'Maya Lopez needs a person', 'Wants a callback', () => {});

    expect(FakeNotification.shown).toHaveLength(1);
    const [shown] = FakeNotification.shown;
    expect(shown!.title).toBe('Maya Lopez needs a person');
    expect(shown!.options).toMatchObject({ body: 'Wants a callback', tag: 'handoff-7' });
    expect(tonesPlayed).toBe(2);
  });

  it('stays quiet for the same conversation within a minute, not for another one', async () => {
    const alerts = new Alerts();
    await alerts.enable();
    alerts.handoff(7, 'Maya Lopez needs a person', '', () => {});

    vi.advanceTimersByTime(MINUTE_MS - 1);
    alerts.handoff(7, 'Maya Lopez needs a person', '', () => {});
    alerts.handoff(8, 'Sam Okafor needs a person', '', () => {});

    expect(FakeNotification.shown.map((shown) => shown.title)).toEqual([
      'Maya Lopez needs a person',
      'Sam Okafor needs a person',
    ]);
    expect(tonesPlayed).toBe(4);
  });

  it('alerts again for the same conversation after a minute', async () => {
    const alerts = new Alerts();
    await alerts.enable();
    alerts.handoff(7, 'Maya Lopez needs a person', '', () => {});

    vi.advanceTimersByTime(MINUTE_MS);
    alerts.handoff(7, 'Maya Lopez needs a person', '', () => {});

    expect(FakeNotification.shown).toHaveLength(2);
  });

  it('still chimes when the browser refuses notifications', async () => {
    FakeNotification.answer = 'denied';
    const alerts = new Alerts();
    await alerts.enable();

    alerts.handoff(7, 'Maya Lopez needs a person', '', () => {});

    expect(FakeNotification.shown).toHaveLength(0);
    expect(tonesPlayed).toBe(2);
  });

  it('shows nothing once switched off', async () => {
    const alerts = new Alerts();
    await alerts.enable();

    alerts.disable();
    alerts.handoff(7, 'Maya Lopez needs a person', '', () => {});

    expect(FakeNotification.shown).toHaveLength(0);
    expect(tonesPlayed).toBe(0);
  });

  it('opens the conversation and closes the notification when it is clicked', async () => {
    const open = vi.fn();
    const alerts = new Alerts();
    await alerts.enable();
    alerts.handoff(7, 'Maya Lopez needs a person', '', open);

    FakeNotification.shown[0]!.onclick?.();

    expect(open).toHaveBeenCalledTimes(1);
    expect(FakeNotification.shown[0]!.close).toHaveBeenCalled();
  });
});
