import { useCallback, useLayoutEffect, useRef } from 'react';

// How far from the bottom still counts as "at the bottom", in pixels.
const SLACK_PX = 24;

/**
 * Keep a scrolling list pinned to its end while the reader is at the end.
 *
 * `contentKey` changes when items arrive; `resetKey` changes when the list
 * shows something else entirely, which always starts at the bottom. Call
 * `stick()` before an update the reader caused (sending a message) to jump
 * to it even when scrolled up.
 */
export function useStickToBottom<T extends HTMLElement>(contentKey: unknown, resetKey: unknown) {
  const ref = useRef<T>(null);
  const isAtBottom = useRef(true);
  const shownKey = useRef<unknown>(undefined);

  const onScroll = useCallback(() => {
    const element = ref.current;
    if (element !== null) {
      const gap = element.scrollHeight - element.scrollTop - element.clientHeight;
      isAtBottom.current = gap <= SLACK_PX;
    }
  }, []);

  const stick = useCallback(() => {
    isAtBottom.current = true;
  }, []);

  useLayoutEffect(() => {
    const element = ref.current;
    if (element === null) {
      return;
    }
    if (shownKey.current !== resetKey) {
      shownKey.current = resetKey;
      isAtBottom.current = true;
    }
    if (isAtBottom.current) {
      element.scrollTop = element.scrollHeight;
    }
  }, [contentKey, resetKey]);

  return { listRef: ref, onScroll, stick };
}
