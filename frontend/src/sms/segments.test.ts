import { describe, expect, it } from 'vitest';

import { countSegments } from './segments';

describe('countSegments', () => {
  it('counts an empty body as no segments with a full GSM-7 segment left', () => {
    expect(countSegments('')).toMatchObject({
      encoding: 'GSM-7',
      segments: 0,
      units: 0,
      perSegment: 160,
      remaining: 160,
    });
  });

  it.each([
    [1, 1, 160, 159],
    [160, 1, 160, 0],
    [161, 2, 153, 145],
    [306, 2, 153, 0],
    [307, 3, 153, 152],
  ])('fits %i GSM-7 characters in %i segment(s)', (length, segments, perSegment, remaining) => {
    const info = countSegments('a'.repeat(length));

    expect(info).toMatchObject({ encoding: 'GSM-7', segments, perSegment, remaining });
  });

  it.each([
    [70, 1, 70, 0],
    [71, 2, 67, 63],
    [134, 2, 67, 0],
    [135, 3, 67, 66],
  ])('fits %i UCS-2 characters in %i segment(s)', (length, segments, perSegment, remaining) => {
    const info = countSegments('ж'.repeat(length));

    expect(info).toMatchObject({ encoding: 'UCS-2', segments, perSegment, remaining });
  });

  it('counts each extension-table character as two septets', () => {
    expect(countSegments('€^{}[]~|\\\f')).toMatchObject({ encoding: 'GSM-7', units: 20 });
    expect(countSegments('€'.repeat(80))).toMatchObject({ segments: 1, remaining: 0 });
    expect(countSegments('€'.repeat(80) + 'a')).toMatchObject({ segments: 2, units: 161 });
  });

  it('never splits an escape pair across segments', () => {
    // 152 septets, then a 2-septet euro that does not fit the 153 left.
    const info = countSegments('a'.repeat(152) + '€' + 'a'.repeat(10));

    expect(info).toMatchObject({ segments: 2, units: 164, remaining: 153 - 12 });
  });

  it('counts an emoji as two UTF-16 units and never splits the pair', () => {
    expect(countSegments('😀')).toMatchObject({ encoding: 'UCS-2', units: 2, remaining: 68 });
    expect(countSegments('😀'.repeat(35))).toMatchObject({ segments: 1, remaining: 0 });
    // 33 emoji fill 66 units; the 34th needs 2 of the 1 left and opens part two.
    expect(countSegments('😀'.repeat(36))).toMatchObject({ segments: 2, units: 72, remaining: 61 });
  });

  it('switches the whole body to UCS-2 for one character outside GSM-7', () => {
    const info = countSegments('a'.repeat(100) + 'ő');

    expect(info).toMatchObject({ encoding: 'UCS-2', segments: 2, nonGsmCharacters: ['ő'] });
  });

  it('keeps the accented letters of the GSM-7 alphabet in GSM-7, and only those', () => {
    expect(countSegments('Ça va? é è ü Ñ ß Ø Å').encoding).toBe('GSM-7');
    expect(countSegments('Ça coûte')).toMatchObject({ encoding: 'UCS-2', nonGsmCharacters: ['û'] });
  });

  it('tells the Greek capital omega from the ohm sign', () => {
    expect(countSegments('\u03a9').encoding).toBe('GSM-7');
    expect(countSegments('\u2126')).toMatchObject({
      encoding: 'UCS-2',
      nonGsmCharacters: ['\u2126'],
    });
  });

  it('lists each character that forced UCS-2 once, in order', () => {
    expect(countSegments('😀 hi 👋 😀').nonGsmCharacters).toEqual(['😀', '👋']);
  });
});
