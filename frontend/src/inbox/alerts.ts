// Telling an agent about a new handoff when the inbox is not in front of
// them: a short chime and a browser notification.
//
// Browsers allow sound and notifications only after the person asks for
// them, so both are switched on by a click (`enable`), which is remembered.

const STORAGE_KEY = 'thoughtflow.inbox.alerts';
// A handoff often comes as two requests a moment apart (the agent asks for
// a person, then the workflow's handoff step does): one alert covers both.
const REPEAT_QUIET_MS = 60_000;

export type AlertPermission = 'on' | 'off' | 'denied' | 'unsupported';

export class Alerts {
  private audio: AudioContext | null = null;
  private on = readStored() === 'on';
  private lastAlerted = new Map<number, number>();

  /** Whether alerts are on, off, or refused by the browser. */
  get permission(): AlertPermission {
    if (!this.on) {
      return 'off';
    }
    if (typeof Notification === 'undefined') {
      return 'on';
    }
    return Notification.permission === 'denied' ? 'denied' : 'on';
  }

  /** Turn alerts on; call from a click so the browser allows sound. */
  async enable(): Promise<AlertPermission> {
    this.on = true;
    writeStored('on');
    this.unlockAudio();
    if (typeof Notification !== 'undefined' && Notification.permission === 'default') {
      await Notification.requestPermission();
    }
    return this.permission;
  }

  disable(): void {
    this.on = false;
    writeStored('off');
  }

  /**
   * Chime and, if allowed, show a notification that opens the conversation;
   * quiet for a conversation alerted about in the last minute.
   */
  handoff(conversation: number, title: string, body: string, onClick: () => void): void {
    if (!this.on) {
      return;
    }
    const now = Date.now();
    const last = this.lastAlerted.get(conversation);
    if (last !== undefined && now - last < REPEAT_QUIET_MS) {
      return;
    }
    this.lastAlerted.set(conversation, now);
    this.chime();
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') {
      return;
    }
    // One notification per conversation: a later one replaces it.
    const notification = new Notification(title, { body, tag: `handoff-${conversation}` });
    notification.onclick = () => {
      window.focus();
      onClick();
      notification.close();
    };
  }

  private unlockAudio(): void {
    if (this.audio === null && typeof AudioContext !== 'undefined') {
      this.audio = new AudioContext();
    }
    void this.audio?.resume();
  }

  // Two soft rising tones; generated, so the page ships no sound file.
  private chime(): void {
    this.unlockAudio();
    const audio = this.audio;
    if (audio === null) {
      return;
    }
    const start = audio.currentTime;
    [660, 880].forEach((frequency, index) => {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      const at = start + index * 0.16;
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.3);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.32);
    });
  }
}

function readStored(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function writeStored(value: string): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, value);
  } catch {
    // Private windows may refuse storage; alerts then last for this page.
  }
}
