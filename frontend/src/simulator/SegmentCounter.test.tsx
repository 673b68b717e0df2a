import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { SegmentCounter } from './SegmentCounter';

describe('SegmentCounter', () => {
  it('shows one GSM-7 segment for a short plain text', () => {
    render(<SegmentCounter body="See you at 5" />);

    expect(screen.getByTestId('segment-counter')).toHaveTextContent('12/160 · 1 segment · GSM-7');
  });

  it('switches to UCS-2 for an emoji and names it', () => {
    render(<SegmentCounter body="Thanks 🙏" />);

    expect(screen.getByTestId('segment-counter')).toHaveTextContent(
      '9/70 · 1 segment · UCS-2 (🙏)',
    );
  });

  it('counts 2 segments at 161 GSM characters', () => {
    render(<SegmentCounter body={'a'.repeat(161)} />);

    expect(screen.getByTestId('segment-counter')).toHaveTextContent('161/306 · 2 segments · GSM-7');
  });

  it('stays at 1 segment at exactly 160 GSM characters', () => {
    render(<SegmentCounter body={'a'.repeat(160)} />);

    expect(screen.getByTestId('segment-counter')).toHaveTextContent('160/160 · 1 segment');
  });
});
