// SMS segment arithmetic for the compose box: which encoding a body needs and
// how many segments it takes. Mirrors conversations/encoding.py, which stays
// the authority on the server; both follow the GSM 7-bit default alphabet and
// its extension table in 3GPP TS 23.038.

export type Encoding = 'GSM-7' | 'UCS-2';

export interface SegmentInfo {
  encoding: Encoding;
  segments: number;
  // Septets for GSM-7, UTF-16 code units for UCS-2.
  units: number;
  // 160 or 70 while the body fits one segment, 153 or 67 once it does not.
  perSegment: number;
  // What the last segment can still take, in the encoding's units.
  remaining: number;
  // Characters that forced UCS-2, each listed once in order of appearance.
  nonGsmCharacters: string[];
}

// The default alphabet in code order, 0x00 to 0x7F, one row of 16 per line.
// 0x1B (escape to the extension table) maps to no character. The Greek
// capitals are escapes so that look-alikes such as the ohm sign are not
// mistaken for them.
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅå' +
    '\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039eÆæßÉ' +
    ' !"#¤%&\'()*+,-./' +
    '0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNO' +
    'PQRSTUVWXYZÄÖÑÜ§' +
    '¿abcdefghijklmno' +
    'pqrstuvwxyzäöñüà',
);

// Sent as escape + code, so each costs two septets.
const GSM7_EXTENSION = new Set('\f^{}\\[~]|€');

// [single segment, per segment of a multipart message]. The multipart
// figures are what remains of 140 octets after the 6-octet header.
const LIMITS: Record<Encoding, [number, number]> = {
  'GSM-7': [160, 153],
  'UCS-2': [70, 67],
};

export function isGsm7Character(char: string): boolean {
  return GSM7_BASIC.has(char) || GSM7_EXTENSION.has(char);
}

/** Count the segments a carrier needs to deliver `text` as SMS. */
export function countSegments(text: string): SegmentInfo {
  // Iterating a string walks code points, so an emoji is one character here.
  const chars = Array.from(text);
  const nonGsm = [...new Set(chars.filter((char) => !isGsm7Character(char)))];
  const encoding: Encoding = nonGsm.length === 0 ? 'GSM-7' : 'UCS-2';
  const [single, multipart] = LIMITS[encoding];

  const widths = chars.map((char) => width(char, encoding));
  const units = widths.reduce((sum, w) => sum + w, 0);
  if (units <= single) {
    const segments = text === '' ? 0 : 1;
    return {
      encoding,
      segments,
      units,
      perSegment: single,
      remaining: single - units,
      nonGsmCharacters: nonGsm,
    };
  }

  const parts = pack(widths, multipart);
  const lastUnits = parts[parts.length - 1] ?? 0;

  return {
    encoding,
    segments: parts.length,
    units,
    perSegment: multipart,
    remaining: multipart - lastUnits,
    nonGsmCharacters: nonGsm,
  };
}

// Fill parts of at most `capacity` units. A character is never divided: an
// escape pair or a surrogate pair that does not fit opens the next part, so
// a part can close one unit short.
function pack(widths: number[], capacity: number): number[] {
  const parts: number[] = [];
  let used = 0;
  for (const w of widths) {
    if (used + w > capacity) {
      parts.push(used);
      used = 0;
    }
    used += w;
  }
  parts.push(used);

  return parts;
}

function width(char: string, encoding: Encoding): number {
  if (encoding === 'GSM-7') {
    return GSM7_EXTENSION.has(char) ? 2 : 1;
  }
  // Code points above the Basic Multilingual Plane travel as a surrogate pair.
  return char.length;
}
