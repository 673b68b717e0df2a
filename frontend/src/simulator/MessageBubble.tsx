import type { Author, MediaItem, Message } from './api';
import { formatMoment } from '../dates';
import { capitalize } from './format';
import './MessageBubble.css';

interface MessageBubbleProps {
  message: Message;
}

const AUTHOR_LABELS: Record<Author, string> = {
  contact: 'Contact',
  agent: 'Agent',
  user: 'Team member',
  system: 'System',
  workflow: 'Workflow',
};

const FAILED_STATUSES = new Set(['failed', 'undelivered']);

/**
 * One text as the handset sees it. Messages the business sent ("outbound")
 * arrive on the left; texts sent from the handset ("inbound") sit on the
 * right with their delivery status.
 */
export function MessageBubble({ message }: MessageBubbleProps) {
  const isFromHandset = message.direction === 'inbound';
  const sentAt = formatMoment(message.created_at);
  const links = message.media.map(mediaHref).filter((href) => href !== null);
  const meta = isFromHandset
    ? capitalize(message.status)
    : (AUTHOR_LABELS[message.author] ?? capitalize(message.author));

  return (
    <li
      className={`bubble ${isFromHandset ? 'bubble--sent' : 'bubble--received'}`}
      data-testid={`message-${message.id}`}
    >
      {/* Bodies are text from outside: React escapes them, never innerHTML. */}
      {message.body !== '' && <p className="bubble__body">{message.body}</p>}
      {links.map((href, index) => (
        <a
          key={href}
          className="bubble__media"
          href={href}
          target="_blank"
          rel="noopener noreferrer"
        >
          Attachment {index + 1}
        </a>
      ))}
      <p
        className={`bubble__meta${
          isFromHandset && FAILED_STATUSES.has(message.status) ? ' bubble__meta--failed' : ''
        }`}
      >
        {[sentAt, meta].filter((part) => part !== '').join(' · ')}
      </p>
    </li>
  );
}

// Only web addresses become links; anything else (javascript:, data:) does not.
function mediaHref(item: MediaItem): string | null {
  const raw = typeof item === 'string' ? item : item.url;
  try {
    const url = new URL(raw, window.location.origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}
