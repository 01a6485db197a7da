"use client";
import type { TSpace } from "@autoglm/protocol";
import { useMemo, useState } from "react";
import { ParallelChart } from "@/components/parallel-chart";
import { paramAxes, parallelLines } from "@/lib/plot-data";
import { PlotCard, PlotToggle, type PlotTrialsQuery } from "./plot-card";
import { useOpenTrial } from "./use-open-trial";

/** More axes than this crowd a card's width to unreadable; the rest are a click away. */
const DEFAULT_AXES = 6;

/** Parallel coordinates over the chosen parameters and the objective, one line per trial. */
export function ParallelCard({ studyId, space, query }: { studyId: string; space: TSpace | undefined; query: PlotTrialsQuery }) {
  const openTrial = useOpenTrial(studyId);
  const trials = query.data?.trials;
  const allAxes = useMemo(() => paramAxes(space, trials ?? []), [space, trials]);
  const [picked, setPicked] = useState<ReadonlySet<string> | null>(null);
  const [log, setLog] = useState(true);
  const [includePruned, setIncludePruned] = useState(false);
  const chosen = useMemo(
    () => (picked ? allAxes.filter((a) => picked.has(a.name)) : allAxes.slice(0, DEFAULT_AXES)),
    [allAxes, picked],
  );
  const logAxes = useMemo(
    () => new Set(log ? chosen.filter((a) => a.kind === "numeric" && a.canLog).map((a) => a.name) : []),
    [chosen, log],
  );
  const { lines, ranges } = useMemo(
    () => parallelLines(trials ?? [], chosen, { includePruned, logAxes }),
    [trials, chosen, includePruned, logAxes],
  );
  const params = useMemo(() => Object.fromEntries((trials ?? []).map((t) => [t.id, t.params])), [trials]);
  const toggle = (name: string, on: boolean) => {
    const next = new Set(chosen.map((a) => a.name));
    if (on) next.add(name);
    else next.delete(name);
    setPicked(next);
  };
  return (
    <PlotCard
      title="Parallel coordinates"
      testId="parallel-card"
      query={query}
      marks={lines.length}
      empty={{
        title: "Nothing to draw yet",
        text: "Complete trials that have every chosen parameter appear here as lines across the axes.",
      }}
      controls={
        <>
          <details style={{ position: "relative" }}>
            <summary data-testid="parallel-axes">parameters ({chosen.length})</summary>
            <div
              style={{
                position: "absolute",
                zIndex: 3,
                background: "#fff",
                border: "1px solid #e2e8f0",
                padding: 8,
                borderRadius: 6,
              }}
            >
              {allAxes.map((a) => (
                <label key={a.name} className="checkbox" style={{ display: "flex" }}>
                  <input
                    type="checkbox"
                    checked={chosen.some((c) => c.name === a.name)}
                    onChange={(e) => toggle(a.name, e.target.checked)}
                    data-testid={`parallel-axis-${a.name}`}
                  />{" "}
                  {a.name}
                </label>
              ))}
            </div>
          </details>
          <PlotToggle
            label="log axes"
            checked={log}
            title="Parameters with log: true in the space on a log scale"
            testId="parallel-log"
            onChange={setLog}
          />
          <PlotToggle label="pruned" checked={includePruned} testId="parallel-pruned" onChange={setIncludePruned} />
        </>
      }
    >
      <ParallelChart axes={chosen} lines={lines} ranges={ranges} logAxes={logAxes} params={params} onPick={openTrial} />
    </PlotCard>
  );
}
