"use client";
import { useEffect, useRef, useState } from "react";

/** A box's width in CSS pixels, kept current: the SVG plots draw in pixels so their text stays legible. */
export function useWidth<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(([entry]) => setWidth(entry ? entry.contentRect.width : 0));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return { ref, width };
}
