import { SegmentCounter } from '../../simulator/SegmentCounter';

interface SmsCountProps {
  text: string;
}

/** The segments and encoding of a setting sent as a text message. */
export function SmsCount({ text }: SmsCountProps) {
  return (
    <div className="node-form__sms">
      <SegmentCounter body={text} />
      {text.includes('{{') && (
        <p className="node-form__sms-note">
          Counted as written: the {'{{ … }}'} parts change with each contact.
        </p>
      )}
    </div>
  );
}
