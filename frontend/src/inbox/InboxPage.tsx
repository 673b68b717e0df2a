import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';

import { ApiError, errorMessage } from '../api/http';
import { Actions } from './Actions';
import type { Dialog } from './Actions';
import { Alerts } from './alerts';
import type { AlertPermission } from './alerts';
import * as api from './api';
import type { ConversationPanel, InboxRow, People, Person, View } from './api';
import { VIEWS } from './api';
import { Composer } from './Composer';
import type { ComposeMode, ComposerHandle } from './Composer';
import { ConversationList } from './ConversationList';
import { SHORTCUT_HELP, shortcutFor } from './shortcuts';
import type { Shortcut } from './shortcuts';
import { SidePanel } from './SidePanel';
import { InboxSocket, inboxUrl, messageOf, noteOf } from './socket';
import type { Frame, InboxEvent, Status, UserRef } from './socket';
import { Thread } from './Thread';
import { withItem, withMessage, withState, withStatus } from './threadState';
import type { ConversationPayload } from './threadState';
import './InboxPage.css';

interface InboxPageProps {
  // The workspace's newest event when the page was rendered: the socket
  // replays everything after it, so nothing is missed while lists load.
  lastEvent: number;
  userId: number;
  createSocket?: (url: string) => WebSocket;
  alerts?: Alerts;
}

// After a burst of events, refetch once the burst is over.
const LIST_REFRESH_MS = 400;
const PANEL_REFRESH_MS = 250;
const SEARCH_DELAY_MS = 250;
const TYPING_SHOWN_MS = 5000;
const TYPING_SENT_EVERY_MS = 2500;
const CLOCK_MS = 30_000;

const STATUS_TEXT: Record<Status, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  offline: 'Offline, reconnecting…',
};

/**
 * The human handoff inbox: conversations by view, one conversation's thread
 * with its actions, and the contact, AI summary and workflow beside it.
 *
 * What is shown comes from the REST API; events over the websocket apply
 * their change at once and then ask the API again, so a lost or repeated
 * event never leaves the page wrong for long.
 */
export function InboxPage({
  lastEvent,
  userId,
  createSocket,
  alerts: givenAlerts,
}: InboxPageProps) {
  const [initial] = useState(readLocation);
  const [view, setView] = useState<View>(initial.view);
  const [query, setQuery] = useState('');
  const [rows, setRows] = useState<InboxRow[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [listLoading, setListLoading] = useState(true);
  const [listError, setListError] = useState<string | null>(null);
  const [selectedId, setSelectedId] = useState<number | null>(initial.conversation);
  const [panel, setPanel] = useState<ConversationPanel | null>(null);
  const [panelError, setPanelError] = useState<string | null>(null);
  const [people, setPeople] = useState<People | null>(null);
  const [status, setStatus] = useState<Status>('connecting');
  const [typing, setTyping] = useState<Record<number, { name: string; until: number }>>({});
  const [viewers, setViewers] = useState<Record<number, string>>({});
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [showHelp, setShowHelp] = useState(false);
  const alerts = useMemo(() => givenAlerts ?? new Alerts(), [givenAlerts]);
  const [alertState, setAlertState] = useState<AlertPermission>(() => alerts.permission);
  const [now, setNow] = useState(() => new Date());

  const socket = useRef<InboxSocket | null>(null);
  const composer = useRef<ComposerHandle>(null);
  const search = useRef<HTMLInputElement | null>(null);
  // Current values for callbacks that outlive a render (socket frames, timers).
  const live = useRef({ view, query, rows, selectedId, people });
  useLayoutEffect(() => {
    live.current = { view, query, rows, selectedId, people };
  });
  const listGeneration = useRef(0);
  const panelGeneration = useRef(0);
  const page = useRef(1);
  const timers = useRef<Record<string, ReturnType<typeof setTimeout>>>({});
  const readUpTo = useRef(new Map<number, number>());
  const lastTypingSent = useRef(0);

  const loadList = useCallback(async (more: boolean = false) => {
    const generation = ++listGeneration.current;
    const wanted = more ? page.current + 1 : 1;
    try {
      const data = await api.listConversations(
        live.current.view,
        live.current.query,
        undefined,
        wanted,
      );
      if (generation !== listGeneration.current) {
        return;
      }
      page.current = wanted;
      setRows((current) =>
        more
          ? [...current, ...data.results.filter((row) => !current.some((c) => c.id === row.id))]
          : data.results,
      );
      setHasMore(data.next !== null);
      setListError(null);
    } catch (caught) {
      if (generation === listGeneration.current) {
        setListError(errorMessage(caught));
      }
    } finally {
      if (generation === listGeneration.current) {
        setListLoading(false);
      }
    }
  }, []);

  const loadPanel = useCallback((id: number): Promise<void> => {
    const generation = ++panelGeneration.current;
    // Only the newest load for the open conversation may show.
    const wanted = () => generation === panelGeneration.current && live.current.selectedId === id;
    return api.getConversation(id).then(
      (data) => {
        if (wanted()) {
          setPanel(data);
          setPanelError(null);
        }
      },
      (caught: unknown) => {
        if (wanted()) {
          setPanelError(errorMessage(caught));
        }
      },
    );
  }, []);

  const later = useCallback((name: string, delay: number, work: () => void) => {
    clearTimeout(timers.current[name]);
    timers.current[name] = setTimeout(work, delay);
  }, []);

  const refreshList = useCallback(
    () => later('list', LIST_REFRESH_MS, () => void loadList()),
    [later, loadList],
  );
  const refreshPanel = useCallback(() => {
    const id = live.current.selectedId;
    if (id !== null) {
      later('panel', PANEL_REFRESH_MS, () => void loadPanel(id));
    }
  }, [later, loadPanel]);

  const person = useCallback(
    (id: number): Person | null =>
      live.current.people?.members.find((member) => member.id === id) ?? null,
    [],
  );
  const nameOf = useCallback((id: number) => person(id)?.name ?? null, [person]);

  const select = useCallback((id: number) => {
    setSelectedId(id);
    setPanel((current) => (current?.id === id ? current : null));
    setPanelError(null);
    setTyping({});
    setViewers({});
    setDialog(null);
    setActionError(null);
  }, []);

  // Names the contact in the alert, asking the API when the row is not shown.
  const alertHandoff = useCallback(
    async (id: number, reason: string) => {
      if (alerts.permission === 'off') {
        return;
      }
      let contact = live.current.rows.find((row) => row.id === id)?.contact;
      if (contact === undefined) {
        contact = await api.getConversation(id).then(
          (data) => data.contact,
          () => undefined,
        );
      }
      const who = contact === undefined ? 'A contact' : contact.name || contact.phone;
      alerts.handoff(id, `${who} needs a person`, reason, () => select(id));
    },
    [alerts, select],
  );

  const changeView = useCallback((next: View) => {
    setView(next);
    setListLoading(true);
  }, []);

  const changeQuery = useCallback((next: string) => {
    setQuery(next);
    setListLoading(true);
  }, []);

  // ---- Live events -------------------------------------------------------

  const onEvent = useCallback(
    (event: InboxEvent) => {
      const id = event.conversation;
      const reading = id !== null && id === live.current.selectedId;
      switch (event.kind) {
        case 'message.created': {
          const message = messageOf(event);
          if (reading) {
            setPanel((current) =>
              current?.id === id
                ? withItem(current, { kind: 'message', at: message.created_at, message })
                : current,
            );
            refreshPanel();
          }
          if (id !== null && live.current.rows.some((row) => row.id === id)) {
            setRows((current) => withMessage(current, id, message, reading));
          } else {
            refreshList();
          }
          return;
        }
        case 'message.status': {
          if (reading) {
            const payload = event.payload as {
              message_id: number;
              status: string;
              block_reason: string;
            };
            setPanel((current) =>
              current?.id === id
                ? withStatus(current, payload.message_id, payload.status, payload.block_reason)
                : current,
            );
          }
          return;
        }
        case 'note.created': {
          if (reading) {
            const note = noteOf(event);
            setPanel((current) =>
              current?.id === id
                ? withItem(current, { kind: 'note', at: note.created_at, note })
                : current,
            );
          }
          return;
        }
        case 'conversation.updated': {
          const state = event.payload.conversation as ConversationPayload;
          setRows((current) =>
            current.map((row) => (row.id === id ? withState(row, state, person) : row)),
          );
          if (reading) {
            setPanel((current) =>
              current?.id === id ? withState(current, state, person) : current,
            );
            refreshPanel();
          }
          refreshList();
          return;
        }
        case 'handoff.requested': {
          refreshList();
          if (reading) {
            refreshPanel();
          }
          if (id !== null) {
            const reason = typeof event.payload.reason === 'string' ? event.payload.reason : '';
            void alertHandoff(id, reason);
          }
          return;
        }
      }
    },
    [alertHandoff, person, refreshList, refreshPanel],
  );

  const onFrame = useCallback(
    (frame: Frame) => {
      switch (frame.type) {
        case 'event':
          onEvent(frame);
          return;
        case 'reset':
          void loadList();
          if (live.current.selectedId !== null) {
            void loadPanel(live.current.selectedId);
          }
          return;
        case 'typing':
          if (frame.conversation === live.current.selectedId && frame.user.id !== userId) {
            const until = Date.now() + TYPING_SHOWN_MS;
            setTyping((current) => ({
              ...current,
              [frame.user.id]: { name: displayName(frame.user, nameOf), until },
            }));
            later(`typing-${frame.user.id}`, TYPING_SHOWN_MS + 50, () =>
              setTyping((current) => withoutExpired(current)),
            );
          }
          return;
        case 'presence': {
          if (frame.conversation !== live.current.selectedId || frame.user.id === userId) {
            return;
          }
          const who = frame.user.id;
          setViewers((current) => {
            const next = { ...current };
            if (frame.state === 'left') {
              delete next[who];
            } else {
              next[who] = displayName(frame.user, nameOf);
            }
            return next;
          });
          if (frame.state === 'left') {
            setTyping((current) => {
              const next = { ...current };
              delete next[who];
              return next;
            });
          }
          return;
        }
        case 'agent_presence':
          setPeople((current) =>
            current === null
              ? current
              : {
                  ...current,
                  members: current.members.map((member) =>
                    member.id === frame.user.id ? { ...member, online: frame.online } : member,
                  ),
                },
          );
          return;
        default:
          return;
      }
    },
    [later, loadList, loadPanel, nameOf, onEvent, userId],
  );

  const frameHandler = useRef(onFrame);
  useEffect(() => {
    frameHandler.current = onFrame;
  }, [onFrame]);

  useEffect(() => {
    const connection = new InboxSocket({
      url: inboxUrl(),
      after: lastEvent,
      onFrame: (frame) => frameHandler.current(frame),
      onStatus: setStatus,
      createSocket,
    });
    socket.current = connection;
    connection.start();
    const pending = timers.current;
    return () => {
      connection.stop();
      socket.current = null;
      Object.values(pending).forEach(clearTimeout);
    };
  }, [lastEvent, createSocket]);

  // ---- Loading -----------------------------------------------------------

  useEffect(() => {
    const controller = new AbortController();
    api
      .getPeople(controller.signal)
      .then(setPeople)
      .catch((caught) => {
        // The page works without names; assigning others then waits for a reload.
        if (!(caught instanceof DOMException)) {
          console.warn('inbox: people not loaded', caught);
        }
      });
    return () => controller.abort();
  }, []);

  useEffect(() => {
    void loadList();
  }, [view, loadList]);

  // A search waits for a pause in typing.
  const searched = useRef(query);
  useEffect(() => {
    if (searched.current !== query) {
      searched.current = query;
      later('search', SEARCH_DELAY_MS, () => void loadList());
    }
  }, [query, later, loadList]);

  useEffect(() => {
    writeLocation(view, selectedId);
  }, [view, selectedId]);

  useEffect(() => {
    const clock = setInterval(() => setNow(new Date()), CLOCK_MS);
    return () => clearInterval(clock);
  }, []);

  // Join the open conversation's group for typing and presence, and load it.
  useEffect(() => {
    if (selectedId === null) {
      return;
    }
    void loadPanel(selectedId);
    socket.current?.join(selectedId);
    return () => socket.current?.leave(selectedId);
  }, [selectedId, loadPanel]);

  // Reading a conversation moves the read mark to its newest text.
  useEffect(() => {
    if (panel === null) {
      return;
    }
    const newest = panel.thread.reduce(
      (top, item) => (item.kind === 'message' && item.message.id > top ? item.message.id : top),
      0,
    );
    if (newest === 0 || (readUpTo.current.get(panel.id) ?? 0) >= newest) {
      return;
    }
    readUpTo.current.set(panel.id, newest);
    const id = panel.id;
    api
      .markRead(id, newest)
      .then(() =>
        setRows((current) =>
          current.map((row) =>
            row.id === id && row.unread_count > 0 ? { ...row, unread_count: 0 } : row,
          ),
        ),
      )
      .catch((caught) => console.warn('inbox: read mark not saved', caught));
  }, [panel]);

  // ---- Actions -----------------------------------------------------------

  const act = useCallback(
    async (work: (id: number) => Promise<unknown>) => {
      const id = live.current.selectedId;
      if (id === null) {
        return;
      }
      setBusy(true);
      setActionError(null);
      try {
        const result = await work(id);
        if (isRow(result)) {
          setRows((current) => current.map((row) => (row.id === result.id ? result : row)));
        }
        setDialog(null);
        void loadPanel(id);
        refreshList();
      } catch (caught) {
        setActionError(errorMessage(caught));
      } finally {
        setBusy(false);
      }
    },
    [loadPanel, refreshList],
  );

  const takeOver = useCallback(() => act((id) => api.takeOver(id)), [act]);
  const handBack = useCallback(() => act((id) => api.handBack(id)), [act]);
  const assign = useCallback(
    (to: { user?: number | null; team?: number | null }) => act((id) => api.assign(id, to)),
    [act],
  );

  const send = useCallback(
    async (mode: ComposeMode, body: string) => {
      const id = live.current.selectedId;
      if (id === null) {
        return;
      }
      try {
        if (mode === 'reply') {
          const message = await api.reply(id, body);
          setPanel((current) =>
            current?.id === id
              ? withItem(current, { kind: 'message', at: message.created_at, message })
              : current,
          );
        } else {
          const note = await api.addNote(id, body);
          setPanel((current) =>
            current?.id === id
              ? withItem(current, { kind: 'note', at: note.created_at, note })
              : current,
          );
        }
      } catch (caught) {
        // A blocked reply is kept in the thread, so the box can be cleared.
        if (caught instanceof ApiError && caught.code === 'reply_blocked') {
          void loadPanel(id);
          setActionError(caught.detail);
          return;
        }
        throw new Error(errorMessage(caught), { cause: caught });
      }
      void loadPanel(id);
    },
    [loadPanel],
  );

  const onTyping = useCallback(() => {
    const id = live.current.selectedId;
    const at = Date.now();
    if (id !== null && at - lastTypingSent.current > TYPING_SENT_EVERY_MS) {
      lastTypingSent.current = at;
      socket.current?.typing(id);
    }
  }, []);

  // ---- Keyboard ----------------------------------------------------------

  const runShortcut = useCallback(
    (shortcut: Shortcut) => {
      const { rows: shown, selectedId: current } = live.current;
      const index = shown.findIndex((row) => row.id === current);
      switch (shortcut.action) {
        case 'next':
        case 'previous': {
          const step = shortcut.action === 'next' ? 1 : -1;
          const target = shown[index === -1 ? 0 : index + step];
          if (target !== undefined) {
            select(target.id);
          }
          return;
        }
        case 'search':
          search.current?.focus();
          return;
        case 'reply':
        case 'note':
          composer.current?.focus(shortcut.action);
          return;
        case 'take_over':
          if (panel !== null && panel.state !== 'closed' && panel.state !== 'human_active') {
            void takeOver();
          }
          return;
        case 'hand_back':
          if (panel?.state === 'human_active') {
            void handBack();
          }
          return;
        case 'assign_me':
          if (panel !== null && panel.state !== 'closed') {
            void assign({ user: userId });
          }
          return;
        case 'snooze':
        case 'resolve':
          if (panel !== null && panel.state !== 'closed') {
            setDialog(shortcut.action);
          }
          return;
        case 'view':
          changeView(shortcut.view);
          return;
        case 'help':
          setShowHelp((shown) => !shown);
          return;
      }
    },
    [assign, changeView, handBack, panel, select, takeOver, userId],
  );

  useEffect(() => {
    function onKeyDown(event: KeyboardEvent) {
      if (event.key === 'Escape') {
        setDialog(null);
        setShowHelp(false);
        return;
      }
      const shortcut = shortcutFor(event);
      if (shortcut !== null) {
        event.preventDefault();
        runShortcut(shortcut);
      }
    }
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [runShortcut]);

  // ---- Page --------------------------------------------------------------

  const typers = Object.values(typing).map((entry) => entry.name);
  const closed = panel?.state === 'closed';

  return (
    <div className="inbox">
      <div className="inbox-bar">
        <h1>Inbox</h1>
        <span
          className={`inbox-status inbox-status--${status}`}
          data-testid="connection"
          role="status"
        >
          {STATUS_TEXT[status]}
        </span>
        <button
          type="button"
          onClick={async () => {
            if (alertState === 'on') {
              alerts.disable();
              setAlertState('off');
            } else {
              setAlertState(await alerts.enable());
            }
          }}
          aria-pressed={alertState === 'on'}
          title="A sound and a browser notification when a conversation needs a person"
        >
          {alertState === 'on'
            ? 'Alerts on'
            : alertState === 'denied'
              ? 'Alerts blocked by the browser'
              : 'Turn on alerts'}
        </button>
        <button type="button" onClick={() => setShowHelp((shown) => !shown)} title="Shortcuts (?)">
          Shortcuts
        </button>
      </div>
      <ConversationList
        view={view}
        onView={changeView}
        query={query}
        onQuery={changeQuery}
        rows={rows}
        loading={listLoading}
        error={listError}
        hasMore={hasMore}
        onMore={() => {
          setListLoading(true);
          void loadList(true);
        }}
        selectedId={selectedId}
        onSelect={select}
        now={now}
        searchRef={search}
        me={people?.me ?? null}
        nameOf={nameOf}
      />
      <section className="inbox-conversation" aria-label="Conversation">
        {selectedId === null && (
          <p className="inbox-empty">Pick a conversation on the left, or press j.</p>
        )}
        {selectedId !== null && panel === null && (
          <p
            className={panelError === null ? 'inbox-empty' : 'inbox-error'}
            role={panelError ? 'alert' : undefined}
          >
            {panelError ?? 'Loading the conversation…'}
          </p>
        )}
        {panel !== null && (
          <>
            <Actions
              panel={panel}
              people={people}
              busy={busy}
              dialog={dialog}
              onDialog={setDialog}
              onTakeOver={() => void takeOver()}
              onHandBack={() => void handBack()}
              onAssign={(to) => void assign(to)}
              onResolve={(outcome) => void act((id) => api.resolve(id, outcome))}
              onSnooze={(until) => void act((id) => api.snooze(id, until))}
            />
            {actionError !== null && (
              <p className="inbox-error inbox-action-error" role="alert">
                {actionError}
              </p>
            )}
            <Thread items={panel.thread} nameOf={nameOf} typing={typers} now={now} />
            <Composer
              ref={composer}
              disabled={closed}
              disabledReason="This conversation is resolved. A new text from the contact opens a new one."
              onSend={send}
              onTyping={onTyping}
            />
          </>
        )}
      </section>
      {panel !== null && <SidePanel panel={panel} viewers={Object.values(viewers)} now={now} />}
      {showHelp && (
        <div className="inbox-help" role="dialog" aria-label="Keyboard shortcuts">
          <h2>Keyboard shortcuts</h2>
          <dl>
            {SHORTCUT_HELP.map(([keys, what]) => (
              <div key={keys}>
                <dt>
                  <kbd>{keys}</kbd>
                </dt>
                <dd>{what}</dd>
              </div>
            ))}
          </dl>
          <button type="button" onClick={() => setShowHelp(false)}>
            Close
          </button>
        </div>
      )}
    </div>
  );
}

function isRow(value: unknown): value is InboxRow {
  return (
    typeof value === 'object' && value !== null && 'contact' in value && 'unread_count' in value
  );
}

function displayName(user: UserRef, nameOf: (id: number) => string | null): string {
  return nameOf(user.id) ?? user.username;
}

function withoutExpired<T extends { until: number }>(
  entries: Record<number, T>,
): Record<number, T> {
  const at = Date.now();
  return Object.fromEntries(Object.entries(entries).filter(([, entry]) => entry.until > at));
}

// The view and open conversation live in the address, so a reload or a
// shared link opens the same place.
function readLocation(): { view: View; conversation: number | null } {
  const params = new URLSearchParams(window.location.search);
  const view = params.get('view');
  const conversation = Number(params.get('conversation'));
  return {
    view: (VIEWS as readonly string[]).includes(view ?? '') ? (view as View) : 'needs_human',
    conversation: Number.isInteger(conversation) && conversation > 0 ? conversation : null,
  };
}

function writeLocation(view: View, conversation: number | null): void {
  const params = new URLSearchParams({ view });
  if (conversation !== null) {
    params.set('conversation', String(conversation));
  }
  window.history.replaceState(null, '', `${window.location.pathname}?${params}`);
}
