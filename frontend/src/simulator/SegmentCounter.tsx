import { countSegments } from '../sms/segments';
import './SegmentCounter.css';

interface SegmentCounterProps {
  body: string;
}

// How many UCS-2 culprits to name before the list stops helping.
const SHOWN_CULPRITS = 3;

/** Units used out of the segments a body needs, and the encoding it forces. */
export function SegmentCounter({ body }: SegmentCounterProps) {
  const info = countSegments(body);
  const capacity = info.perSegment * Math.max(info.segments, 1);
  const culprits = info.nonGsmCharacters.slice(0, SHOWN_CULPRITS).join(' ');

  return (
    <p
      className={`segment-counter${info.segments > 1 ? ' segment-counter--multipart' : ''}`}
      data-testid="segment-counter"
      title={
        info.encoding === 'UCS-2'
          ? 'Characters outside the GSM-7 alphabet make the whole message UCS-2: 70 per segment instead of 160.'
          : undefined
      }
    >
      {info.units}/{capacity} · {info.segments} {info.segments === 1 ? 'segment' : 'segments'} ·{' '}
      {info.encoding}
      {culprits !== '' && <span className="segment-counter__culprits"> ({culprits})</span>}
    </p>
  );
}
