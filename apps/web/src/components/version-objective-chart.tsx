"use client";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatValue } from "@/lib/format";
import { roundAxis } from "@/lib/round-axis";

/** The objective metric of each live version, in version order. */
export function VersionObjectiveChart({ metric, points }: { metric: string; points: Array<{ version: number; value: number }> }) {
  const y = roundAxis(points.map((p) => p.value));
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={points} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
        <CartesianGrid stroke="#eef0f3" />
        <XAxis
          dataKey="version"
          type="number"
          domain={["dataMin", "dataMax"]}
          allowDecimals={false}
          tickFormatter={(v: number) => `v${v}`}
          tick={{ fontSize: 12 }}
        />
        <YAxis
          type="number"
          domain={y?.domain ?? ["auto", "auto"]}
          ticks={y?.ticks}
          tickFormatter={(v: number) => formatValue(v)}
          tick={{ fontSize: 12 }}
          width={72}
        />
        <Tooltip
          formatter={(v) => (typeof v === "number" ? formatValue(v) : String(v))}
          labelFormatter={(l) => `version ${String(l)}`}
          isAnimationActive={false}
        />
        <Line name={metric} dataKey="value" stroke="#6366f1" strokeWidth={2} dot={{ r: 4 }} isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
}
