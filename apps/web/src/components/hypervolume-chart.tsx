"use client";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatValue } from "@/lib/format";

export interface HypervolumePoint {
  number: number;
  hypervolume: number;
}

/** The hypervolume the complete feasible trials dominate after each trial: a step up at each trial that grows the front. */
export function HypervolumeChart({ points }: { points: HypervolumePoint[] }) {
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
          domain={[0, "auto"]}
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
