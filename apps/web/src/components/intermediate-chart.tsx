"use client";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatValue } from "@/lib/format";
import { roundAxis } from "@/lib/round-axis";

export function IntermediateChart({ points }: { points: { step: number; value: number }[] }) {
  const y = roundAxis(points.map((p) => p.value));
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={points} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
        <CartesianGrid stroke="#eef0f3" />
        <XAxis dataKey="step" type="number" domain={["dataMin", "dataMax"]} allowDecimals={false} tick={{ fontSize: 12 }} />
        <YAxis
          domain={y?.domain ?? ["auto", "auto"]}
          ticks={y?.ticks}
          tickFormatter={(v: number) => formatValue(v)}
          tick={{ fontSize: 12 }}
          width={72}
        />
        <Tooltip
          formatter={(v) => (typeof v === "number" ? formatValue(v) : String(v))}
          labelFormatter={(l) => `step ${String(l)}`}
          isAnimationActive={false}
        />
        <Line dataKey="value" stroke="#6366f1" strokeWidth={2} dot={points.length <= 60} isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
}
