"use client";
import { useState } from "react";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, XAxis, YAxis } from "recharts";
import { formatValue } from "@/lib/format";
import { roundAxis } from "@/lib/round-axis";
import { STATE_COLORS } from "@/lib/state-colors";

export interface Curve {
  trialId: string;
  number: number;
  state: string;
  endReason: string | null;
  points: Array<[number, number]>;
}

/**
 * Every trial's intermediate values against the step, one line per trial, coloured by its
 * state. Hovering a line brings it forward and says which trial it is and, for a pruned one,
 * why the pruner stopped it; a click opens the trial.
 */
export function CurvesChart({ curves, onPick }: { curves: Curve[]; onPick?: (trialId: string) => void }) {
  const [hover, setHover] = useState<Curve | null>(null);
  const series = curves.map((c) => ({ ...c, data: c.points.map(([step, value]) => ({ step, value })) }));
  const last = hover?.points.at(-1);
  const y = roundAxis(curves.flatMap((c) => c.points.map(([, value]) => value)));
  return (
    <div style={{ position: "relative", width: "100%", height: "100%" }}>
      {hover && last ? (
        <div className="curve-hover" data-testid="curve-hover">
          <strong>trial #{hover.number}</strong> · {hover.state} · step {last[0]}: {formatValue(last[1])}
          {hover.endReason ? <div className="muted">{hover.endReason}</div> : null}
        </div>
      ) : null}
      <ResponsiveContainer width="100%" height="100%">
        <LineChart margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
          <CartesianGrid stroke="#eef0f3" />
          <XAxis
            dataKey="step"
            type="number"
            domain={["dataMin", "dataMax"]}
            allowDecimals={false}
            allowDuplicatedCategory={false}
            tick={{ fontSize: 12 }}
            label={{ value: "step", position: "insideBottomRight", offset: -2, fontSize: 12, fill: "#8a94a3" }}
          />
          <YAxis
            type="number"
            domain={y?.domain ?? ["auto", "auto"]}
            ticks={y?.ticks}
            tickFormatter={(v: number) => formatValue(v)}
            tick={{ fontSize: 12 }}
            width={72}
          />
          {series.map((c) => {
            const on = hover?.number === c.number;
            return (
              <Line
                key={c.number}
                name={`trial #${c.number}`}
                data={c.data}
                dataKey="value"
                stroke={STATE_COLORS[c.state as keyof typeof STATE_COLORS] ?? "#94a3b8"}
                strokeOpacity={hover && !on ? 0.2 : c.state === "complete" || c.state === "running" ? 0.8 : 0.55}
                strokeWidth={on ? 3 : 1.5}
                dot={false}
                activeDot={false}
                isAnimationActive={false}
                style={onPick ? { cursor: "pointer" } : undefined}
                onMouseEnter={() => setHover(c)}
                onMouseLeave={() => setHover((h) => (h?.number === c.number ? null : h))}
                onClick={onPick ? () => onPick(c.trialId) : undefined}
              />
            );
          })}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
