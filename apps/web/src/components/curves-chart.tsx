"use client";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, XAxis, YAxis } from "recharts";
import { formatValue } from "@/lib/format";
import { STATE_COLORS } from "@/lib/state-colors";

export interface Curve {
  trialId: string;
  number: number;
  state: string;
  points: Array<[number, number]>;
}

/** Every trial's intermediate values against the step, one line per trial, coloured by its state. */
export function CurvesChart({ curves, onPick }: { curves: Curve[]; onPick?: (trialId: string) => void }) {
  const series = curves.map((c) => ({ ...c, data: c.points.map(([step, value]) => ({ step, value })) }));
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
        <CartesianGrid stroke="#eef0f3" />
        <XAxis dataKey="step" type="number" domain={["dataMin", "dataMax"]} allowDecimals={false} allowDuplicatedCategory={false} tick={{ fontSize: 12 }} label={{ value: "step", position: "insideBottomRight", offset: -2, fontSize: 12, fill: "#8a94a3" }} />
        <YAxis type="number" domain={["auto", "auto"]} tickFormatter={(v: number) => formatValue(v)} tick={{ fontSize: 12 }} width={72} />
        {series.map((c) => (
          <Line
            key={c.number}
            name={`trial #${c.number}`}
            data={c.data}
            dataKey="value"
            stroke={STATE_COLORS[c.state as keyof typeof STATE_COLORS] ?? "#94a3b8"}
            strokeOpacity={c.state === "complete" || c.state === "running" ? 0.8 : 0.55}
            strokeWidth={1.5}
            dot={false}
            isAnimationActive={false}
            style={onPick ? { cursor: "pointer" } : undefined}
            onClick={onPick ? () => onPick(c.trialId) : undefined}
          />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}
