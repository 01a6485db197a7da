"use client";
import { useState } from "react";
import { formatDuration } from "@/lib/format";
import type { TimelineBar, TimelineLane } from "@/lib/plot-data";
import { STATE_COLORS } from "@/lib/state-colors";
import { useWidth } from "./use-width";

const LABEL_W = 130;
const ROW_H = 20;
const BAR_H = 14;
const LANE_PAD = 6;
const AXIS_H = 24;
const TICKS = 5;

function clock(ms: number, spanMs: number): string {
  const d = new Date(ms);
  // Under two days the time of day says it; beyond, the date matters more than the seconds.
  return spanMs < 2 * 86_400_000
    ? d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" })
    : d.toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

/**
 * Each trial a bar from its start to its end, one lane per agent, coloured by state: idle gaps
 * and stragglers show at a glance. Bars are at least 2 px wide so a one-second trial is visible.
 */
export function TimelineChart({ lanes, onPick }: { lanes: TimelineLane[]; onPick: (trialId: string) => void }) {
  const { ref, width } = useWidth<HTMLDivElement>();
  const [hover, setHover] = useState<TimelineBar | null>(null);
  const bars = lanes.flatMap((l) => l.bars);
  const t0 = Math.min(...bars.map((b) => b.start));
  const t1 = Math.max(...bars.map((b) => b.end), t0 + 1000);
  const plotW = Math.max(0, width - LABEL_W - 16);
  const x = (t: number) => LABEL_W + ((t - t0) / (t1 - t0)) * plotW;
  // Lanes are as tall as their stacked sub-rows; tops[i] is lane i's y.
  const tops = lanes.reduce<number[]>((acc, l, i) => [...acc, (acc[i] ?? 0) + l.rows * ROW_H + LANE_PAD], [0]);
  const height = tops[lanes.length]! + AXIS_H;
  return (
    <div ref={ref} style={{ position: "relative", width: "100%" }}>
      {hover ? (
        <div className="curve-hover" data-testid="timeline-hover">
          <strong>trial #{hover.number}</strong> · {hover.state} ·{" "}
          {formatDuration(new Date(hover.start).toISOString(), new Date(hover.end).toISOString())}
        </div>
      ) : null}
      {width > 0 ? (
        <svg width={width} height={height} role="img" aria-label="Trial timeline by agent">
          {lanes.map((lane, i) => (
            <g key={lane.name} transform={`translate(0, ${tops[i]})`} data-testid="timeline-lane" data-lane={lane.name}>
              <rect x={LABEL_W} y={0} width={plotW} height={lane.rows * ROW_H + LANE_PAD} fill={i % 2 ? "#f8fafc" : "#eef2f7"} />
              <text x={LABEL_W - 8} y={(lane.rows * ROW_H + LANE_PAD) / 2 + 4} textAnchor="end" fontSize={12} fill="#475569">
                {lane.name.length > 18 ? `${lane.name.slice(0, 17)}…` : lane.name}
                <title>{lane.name}</title>
              </text>
              {lane.bars.map((b) => (
                <rect
                  key={b.trialId}
                  x={x(b.start)}
                  y={LANE_PAD / 2 + b.row * ROW_H + (ROW_H - BAR_H) / 2}
                  width={Math.max(2, x(b.end) - x(b.start))}
                  height={BAR_H}
                  rx={2}
                  fill={STATE_COLORS[b.state as keyof typeof STATE_COLORS] ?? "#94a3b8"}
                  fillOpacity={hover && hover.trialId !== b.trialId ? 0.45 : 0.9}
                  stroke="#ffffff"
                  strokeWidth={0.5}
                  style={{ cursor: "pointer" }}
                  data-testid="timeline-bar"
                  data-trial-number={b.number}
                  onMouseEnter={() => setHover(b)}
                  onMouseLeave={() => setHover(null)}
                  onClick={() => onPick(b.trialId)}
                />
              ))}
            </g>
          ))}
          <g transform={`translate(0, ${tops[lanes.length]})`}>
            {Array.from({ length: TICKS }, (_, i) => t0 + ((t1 - t0) * i) / (TICKS - 1)).map((t, i) => (
              <text
                key={i}
                x={x(t)}
                y={16}
                fontSize={11}
                fill="#8a94a3"
                textAnchor={i === 0 ? "start" : i === TICKS - 1 ? "end" : "middle"}
              >
                {clock(t, t1 - t0)}
              </text>
            ))}
          </g>
        </svg>
      ) : null}
    </div>
  );
}
