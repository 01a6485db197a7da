/** One colour per trial state, shared by the charts and their legends. */
export const STATE_COLORS = { complete: "#6366f1", pruned: "#f59e0b", running: "#10b981", failed: "#ef4444" } as const;
