"use client";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatValue } from "@/lib/format";
import { roundAxis } from "@/lib/round-axis";

export interface HypervolumePoint {
  number: number;
  hypervolume: number;
}

/** The hypervolume the complete feasible trials dominate after each trial: a step up at each trial that grows the front. */
export function HypervolumeChart({ points }: { points: HypervolumePoint[] }) {
  const y = roundAxis([0, ...points.map((p) => p.hypervolume)]);
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={points} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
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
          domain={y?.domain ?? [0, "auto"]}
          ticks={y?.ticks}
          tickFormatter={(v: number) => formatValue(v)}
          tick={{ fontSize: 12 }}
          width={72}
        />
        <Tooltip
          formatter={(v) => [formatValue(Number(v)), "hypervolume"]}
          labelFormatter={(n) => `after trial #${String(n)}`}
          isAnimationActive={false}
        />
        <Line
          dataKey="hypervolume"
          type="stepAfter"
          stroke="#0ea5e9"
          strokeWidth={2}
          dot={{ r: 2.5 }}
          isAnimationActive={false}
        />
      </LineChart>
    </ResponsiveContainer>
  );
}
