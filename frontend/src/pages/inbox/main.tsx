import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { InboxPage } from '../../inbox/InboxPage';

const ROOT_ID = 'inbox-root';

const container = document.getElementById(ROOT_ID);
const lastEvent = Number(container?.dataset.lastEvent);
const userId = Number(container?.dataset.userId);
if (container === null || !Number.isInteger(lastEvent) || !Number.isInteger(userId)) {
  throw new Error(
    `The inbox needs <div id="${ROOT_ID}" data-last-event="…" data-user-id="…"> in the page; ` +
      'conversations/templates/conversations/inbox.html provides it.',
  );
}

createRoot(container).render(
  <StrictMode>
    <InboxPage lastEvent={lastEvent} userId={userId} />
  </StrictMode>,
);
