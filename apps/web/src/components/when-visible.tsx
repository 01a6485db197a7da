"use client";
import { useEffect, useRef, useState, type ReactNode } from "react";

/** Within this distance of the viewport a card counts as in view. */
const MARGIN = "150px 0px";

/** Cards out of view mount one at a time, each in an idle moment of its own, so none of them delays the next frame for long. */
let offscreenQueue: Promise<void> = Promise.resolve();

/** A card in view waits at most this long for an idle moment: a busy page still shows it within a second. */
const IN_VIEW_WAIT_MS = 1_000;

function nextIdle(timeout?: number): Promise<void> {
  return new Promise((resolve) => {
    if (typeof window.requestIdleCallback === "function") window.requestIdleCallback(() => resolve(), { timeout });
    else setTimeout(resolve, 50);
  });
}

/**
 * Holds its children back until the page's first content is in (`ready`): then it mounts them in
 * the browser's next idle moment (after the first content has drawn) if their place is within
 * MARGIN of the viewport, and otherwise in a later idle moment of their own, or once they scroll into view. Until then an empty box of about their height holds the
 * layout. The study page has a dozen plots: mounted at once, those below the fold drew before
 * the trial table's first rows (28 s of a 10,000-trial load's main thread on the dev box).
 */
export function WhenVisible(props: { height: number; testId: string; ready?: boolean; children: ReactNode }) {
  const { height, testId, ready = true, children } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [visible, setVisible] = useState(false);
  const [shown, setShown] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (shown || !el) return;
    const observer = new IntersectionObserver((entries) => setVisible(entries.some((e) => e.isIntersecting)), {
      rootMargin: MARGIN,
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [shown]);
  useEffect(() => {
    if (shown || !ready) return;
    let cancelled = false;
    const show = () => {
      if (!cancelled) setShown(true);
    };
    if (visible) void nextIdle(IN_VIEW_WAIT_MS).then(show);
    else offscreenQueue = offscreenQueue.then(() => nextIdle()).then(show);
    return () => {
      cancelled = true;
    };
  }, [shown, visible, ready]);
  if (shown) return <>{children}</>;
  return <div ref={ref} style={{ height, marginBottom: 16 }} data-testid={testId} data-waiting="true" aria-busy="true" />;
}
