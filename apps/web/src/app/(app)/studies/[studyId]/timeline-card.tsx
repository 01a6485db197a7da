"use client";
import { useEffect, useMemo, useState } from "react";
import { TimelineChart } from "@/components/timeline-chart";
import { timelineLanes } from "@/lib/plot-data";
import { STATE_COLORS } from "@/lib/state-colors";
import { PlotCard, PlotToggle, type PlotTrialsQuery } from "./plot-card";
import { useOpenTrial } from "./use-open-trial";

/** Running bars grow toward now between doorbells; once every 5 s is smooth enough for trials that last minutes. */
const RUNNING_TICK_MS = 5_000;

/** Each trial a bar from start to end, one lane per agent (ask/tell trials in their own), coloured by state. */
export function TimelineCard({ studyId, query }: { studyId: string; query: PlotTrialsQuery }) {
  const openTrial = useOpenTrial(studyId);
  const trials = query.data?.trials;
  const [includeFailed, setIncludeFailed] = useState(true);
  const [now, setNow] = useState(() => Date.now());
  const hasRunning = useMemo(() => (trials ?? []).some((t) => t.state === "running"), [trials]);
  useEffect(() => {
    setNow(Date.now());
    if (!hasRunning) return;
    const timer = setInterval(() => setNow(Date.now()), RUNNING_TICK_MS);
    return () => clearInterval(timer);
  }, [hasRunning, trials]);
  const lanes = useMemo(
    () => timelineLanes(includeFailed ? (trials ?? []) : (trials ?? []).filter((t) => t.state !== "failed"), now),
    [trials, includeFailed, now],
  );
  const bars = lanes.reduce((n, l) => n + l.bars.length, 0);
  return (
    <PlotCard
      title="Timeline"
      testId="timeline-card"
      query={query}
      marks={bars}
      fitHeight
      empty={{ title: "No trial has started yet", text: "Each trial appears as a bar in its agent's lane once it starts." }}
      controls={
        <>
          <span className="muted" style={{ fontSize: 12 }}>
            {Object.entries(STATE_COLORS).map(([state, color]) => (
              <span key={state} style={{ marginLeft: 10 }}>
                <span style={{ display: "inline-block", width: 10, height: 8, background: color, marginRight: 4 }} />
                {state}
              </span>
            ))}
          </span>
          <PlotToggle label="failed" checked={includeFailed} testId="timeline-failed" onChange={setIncludeFailed} />
        </>
      }
    >
      <TimelineChart lanes={lanes} onPick={openTrial} />
    </PlotCard>
  );
}
