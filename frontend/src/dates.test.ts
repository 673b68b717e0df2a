import { describe, expect, it } from 'vitest';

import { formatMoment } from './dates';

describe('formatMoment', () => {
  it('shows only the time for today, and the day as well for other days', () => {
    const now = new Date(2026, 11, 3, 18, 0);
    const today = new Date(2026, 11, 3, 9, 30).toISOString();
    const earlier = new Date(2026, 10, 28, 9, 30).toISOString();

    const shownToday = formatMoment(today, now);
    const shownEarlier = formatMoment(earlier, now);

    expect(shownToday).not.toBe('');
    expect(shownEarlier).toContain(shownToday);
    expect(shownEarlier).toContain('28');
    expect(shownEarlier.length).toBeGreaterThan(shownToday.length);
  });

  it('is empty for no time or one it cannot read', () => {
    expect(formatMoment(null)).toBe('');
    expect(formatMoment('not a time')).toBe('');
  });
});
