"use client";
import { useCallback, useEffect, useState } from "react";
import { z } from "zod";

export const TRIAL_STATES = ["", "waiting", "running", "complete", "pruned", "failed"] as const;
export const PAGE_SIZES = [100, 500, 2000] as const;

const ZPrefs = z.object({
  sortBy: z.enum(["number", "value", "state", "duration"]).catch("number"),
  dir: z.enum(["asc", "desc"]).catch("desc"),
  state: z.enum(TRIAL_STATES).catch(""),
  filterText: z.string().max(2000).catch(""),
  pageSize: z
    .number()
    .refine((n): n is (typeof PAGE_SIZES)[number] => (PAGE_SIZES as readonly number[]).includes(n))
    .catch(500),
  /** Chosen optional columns, `param:<name>` or `metric:<name>`, in display order; null: the default (the first parameters). */
  columns: z.array(z.string().max(200)).max(200).nullable().catch(null),
});
export type TablePrefs = z.infer<typeof ZPrefs>;

const DEFAULTS: TablePrefs = { sortBy: "number", dir: "desc", state: "", filterText: "", pageSize: 500, columns: null };

const keyOf = (studyId: string) => `autoglm.trialTable.${studyId}`;

function load(studyId: string): TablePrefs {
  try {
    const raw = window.localStorage.getItem(keyOf(studyId));
    return raw ? ZPrefs.parse({ ...DEFAULTS, ...(JSON.parse(raw) as object) }) : DEFAULTS;
  } catch {
    // Unreadable or blocked storage: the defaults.
    return DEFAULTS;
  }
}

/**
 * The trial table's sort, filters, page size and columns for one study, kept in localStorage so a
 * person finds the table as they left it.
 */
export function useTrialTablePrefs(studyId: string): [TablePrefs, (patch: Partial<TablePrefs>) => void] {
  // The table renders only once the study has loaded in the browser, so reading storage here
  // cannot make the server's HTML differ; it saves a first query with the defaults.
  const [prefs, setPrefs] = useState<TablePrefs>(() => (typeof window === "undefined" ? DEFAULTS : load(studyId)));
  const [loadedFor, setLoadedFor] = useState(studyId);
  useEffect(() => {
    if (loadedFor === studyId) return;
    setLoadedFor(studyId);
    setPrefs(load(studyId));
  }, [studyId, loadedFor]);
  const update = useCallback(
    (patch: Partial<TablePrefs>) =>
      setPrefs((prev) => {
        const next = { ...prev, ...patch };
        try {
          window.localStorage.setItem(keyOf(studyId), JSON.stringify(next));
        } catch {
          // Full or blocked storage: the choice holds for this visit only.
        }
        return next;
      }),
    [studyId],
  );
  return [prefs, update];
}
