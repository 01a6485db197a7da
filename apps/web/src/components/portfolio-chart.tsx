"use client";
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export interface PortfolioPoint {
  trials: number;
  weights: Record<string, number>;
}

/** One color per member, the same member always the same color. */
const COLORS: Record<string, string> = { gp: "#0ea5e9", tpe: "#f59e0b", cmaes: "#10b981", random: "#94a3b8" };
const PLUGIN_COLORS = ["#8b5cf6", "#ec4899", "#14b8a6", "#ef4444"];

/** `auto`'s portfolio weights (each member's share of the next asks) against the number of trials; a line where it handed over to CMA-ES. */
export function PortfolioChart({
  members,
  points,
  handoverAt,
}: {
  members: string[];
  points: PortfolioPoint[];
  handoverAt: number | null;
}) {
  const data = points.map((p) => ({ trials: p.trials, ...p.weights }));
  let plugin = 0;
  const colorOf = new Map(members.map((m) => [m, COLORS[m] ?? PLUGIN_COLORS[plugin++ % PLUGIN_COLORS.length]!]));
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={data} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
        <CartesianGrid stroke="#eef0f3" />
        <XAxis
          dataKey="trials"
          type="number"
          domain={["dataMin", "dataMax"]}
          tick={{ fontSize: 12 }}
          label={{ value: "trials", position: "insideBottomRight", offset: -2, fontSize: 12, fill: "#8a94a3" }}
        />
        <YAxis
          type="number"
          domain={[0, 1]}
          tickFormatter={(v: number) => `${Math.round(v * 100)}%`}
          tick={{ fontSize: 12 }}
          width={48}
        />
        <Tooltip
          formatter={(v, name) => [`${Math.round(Number(v) * 100)}%`, String(name)]}
          labelFormatter={(n) => `after ${String(n)} trials`}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        {handoverAt !== null ? (
          <ReferenceLine
            x={handoverAt}
            stroke="#10b981"
            strokeDasharray="4 3"
            label={{ value: "CMA-ES", position: "insideTopRight", fontSize: 11, fill: "#047857" }}
          />
        ) : null}
        {members.map((m) => (
          <Line key={m} dataKey={m} stroke={colorOf.get(m)} strokeWidth={2} dot={false} isAnimationActive={false} />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}
