"use client";
import { CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Scatter, Tooltip, XAxis, YAxis } from "recharts";
import { formatValue } from "@/lib/format";

export interface HistoryPoint {
  number: number;
  value: number | null;
  best: number | null;
  state: string;
  /** A constraint is violated: a hollow grey dot. */
  infeasible?: boolean;
}

interface HistoryChartProps {
  points: HistoryPoint[];
  log: boolean;
  direction: string;
  /** The dots' name: "objective", or the chosen metric of a multi-objective study. */
  objectiveName?: string;
}

/** Each finished trial's objective (dots; infeasible ones hollow grey) and the best value so far (step line). */
export function HistoryChart({ points, log, direction, objectiveName = "objective" }: HistoryChartProps) {
  const usable = points.filter((p) => p.value !== null && Number.isFinite(p.value) && (!log || (p.value as number) > 0));
  const data = usable.map((p) => ({
    number: p.number,
    complete: p.state === "complete" && !p.infeasible ? p.value : null,
    infeasible: p.state === "complete" && p.infeasible ? p.value : null,
    pruned: p.state === "pruned" ? p.value : null,
    best: p.best !== null && (!log || p.best > 0) ? p.best : null,
  }));
  // recharts' "auto" domain clips a log axis; use whole decades around the data instead.
  const values = usable.map((p) => p.value as number);
  const logDomain: [number, number] | undefined =
    log && values.length
      ? [
          10 ** Math.floor(Math.log10(Math.min(...values))),
          10 ** Math.max(Math.floor(Math.log10(Math.min(...values))) + 1, Math.ceil(Math.log10(Math.max(...values)))),
        ]
      : undefined;
  return (
    <ResponsiveContainer width="100%" height="100%">
      <ComposedChart data={data} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
        <CartesianGrid stroke="#eef0f3" />
        <XAxis
          dataKey="number"
          type="number"
          domain={["dataMin", "dataMax"]}
          allowDecimals={false}
          tick={{ fontSize: 12 }}
          label={{ value: "trial", position: "insideBottomRight", offset: -2, fontSize: 12, fill: "#8a94a3" }}
        />
        <YAxis
          type="number"
          scale={log ? "log" : "linear"}
          domain={logDomain ?? ["auto", "auto"]}
          tickFormatter={(v: number) => formatValue(v)}
          tick={{ fontSize: 12 }}
          width={72}
        />
        <Tooltip
          formatter={(v) => (typeof v === "number" ? formatValue(v) : String(v))}
          labelFormatter={(l) => `trial #${String(l)}`}
          isAnimationActive={false}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Scatter name={objectiveName} dataKey="complete" fill="#6366f1" isAnimationActive={false} />
        <Scatter
          name="infeasible"
          dataKey="infeasible"
          fill="none"
          stroke="#94a3b8"
          strokeWidth={1.5}
          legendType={points.some((p) => p.infeasible) ? "circle" : "none"}
          shape={(props: { cx?: number; cy?: number; payload?: { number: number; infeasible: number | null } }) =>
            props.cx === undefined || props.cy === undefined || props.payload?.infeasible == null ? (
              <g />
            ) : (
              <circle
                cx={props.cx}
                cy={props.cy}
                r={4}
                fill="none"
                stroke="#94a3b8"
                strokeWidth={1.5}
                data-testid="history-infeasible-dot"
                data-trial-number={props.payload.number}
              />
            )
          }
          isAnimationActive={false}
        />
        <Scatter name="pruned" dataKey="pruned" fill="#f59e0b" isAnimationActive={false} />
        <Line
          name={`best so far (${direction})`}
          dataKey="best"
          type="stepAfter"
          stroke="#16a34a"
          strokeWidth={2}
          dot={false}
          connectNulls
          isAnimationActive={false}
        />
      </ComposedChart>
    </ResponsiveContainer>
  );
}
