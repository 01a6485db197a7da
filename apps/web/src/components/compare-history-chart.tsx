"use client";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatValue } from "@/lib/format";
import { roundAxis } from "@/lib/round-axis";

export interface CompareSeries {
  id: string;
  name: string;
  color: string;
  points: Array<{ number: number; best: number }>;
}

/** Each study's best value so far against its trial number: one step line per study, named in the legend. */
export function CompareHistoryChart({ series }: { series: CompareSeries[] }) {
  const y = roundAxis(series.flatMap((s) => s.points.map((p) => p.best)));
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
        <CartesianGrid stroke="#eef0f3" />
        <XAxis
          dataKey="number"
          type="number"
          domain={["dataMin", "dataMax"]}
          allowDecimals={false}
          allowDuplicatedCategory={false}
          tick={{ fontSize: 12 }}
          label={{ value: "trial", position: "insideBottomRight", offset: -2, fontSize: 12, fill: "#8a94a3" }}
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
          labelFormatter={(l) => `trial #${String(l)}`}
          isAnimationActive={false}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        {series.map((s) => (
          <Line
            key={s.id}
            name={s.name}
            data={s.points}
            dataKey="best"
            type="stepAfter"
            stroke={s.color}
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
          />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}
