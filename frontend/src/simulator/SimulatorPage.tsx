import { useState } from 'react';

import { placeMissedCall, sendMessage, type Thread } from './api';
import { Handset } from './Handset';
import { useThread } from './hooks/useThread';
import { useThreadList } from './hooks/useThreadList';
import { NewContactForm } from './NewContactForm';
import { ThreadList } from './ThreadList';
import './SimulatorPage.css';

// The selected contact lives in the address (?contact=12) so a reload, or a
// link from elsewhere, opens the same thread.
const CONTACT_PARAM = 'contact';

/** Play the contact's phone against the local carrier. */
export function SimulatorPage() {
  const [chosenId, setChosenId] = useState<number | null>(contactIdFromUrl);
  const threadList = useThreadList();
  // Until someone picks a thread, show the first one the server lists.
  const selectedId = chosenId ?? threadList.threads?.[0]?.contact_id ?? null;
  const selected = useThread(selectedId);

  function select(contactId: number): void {
    setChosenId(contactId);
    const url = new URL(window.location.href);
    url.searchParams.set(CONTACT_PARAM, String(contactId));
    window.history.replaceState(window.history.state, '', url);
  }

  function onCreated(thread: Thread): void {
    select(thread.contact_id);
    void threadList.refresh();
  }

  async function onSend(body: string): Promise<void> {
    if (selectedId === null) {
      return;
    }
    await sendMessage(selectedId, body);
    // Show the sent text now rather than at the next poll.
    void selected.refresh();
    void threadList.refresh();
  }

  async function onMissedCall(): Promise<void> {
    if (selectedId === null) {
      return;
    }
    await placeMissedCall(selectedId);
    void selected.refresh();
  }

  return (
    <div className="simulator">
      <aside className="simulator__sidebar">
        <h1 className="simulator__title">SMS simulator</h1>
        <p className="simulator__intro">
          Text the business as one of its contacts. Messages go through the local carrier, so
          nothing reaches a real phone.
        </p>
        <ThreadList
          threads={threadList.threads}
          selectedId={selectedId}
          error={threadList.error}
          onSelect={select}
        />
        <NewContactForm onCreated={onCreated} />
      </aside>
      <Handset
        contactId={selectedId}
        thread={selected.thread}
        loadError={selected.error}
        onSend={onSend}
        onMissedCall={onMissedCall}
      />
    </div>
  );
}

function contactIdFromUrl(): number | null {
  const raw = new URLSearchParams(window.location.search).get(CONTACT_PARAM);
  if (raw === null || !/^\d+$/.test(raw)) {
    return null;
  }
  return Number(raw);
}
