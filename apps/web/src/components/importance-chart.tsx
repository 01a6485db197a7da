"use client";
import { Bar, BarChart, CartesianGrid, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

const percent = (x: number): string => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;

/** Each parameter's share of the objective's variance, largest first. */
export function ImportanceChart({ params }: { params: Array<{ name: string; share: number }> }) {
  return (
    <ResponsiveContainer width="100%" height="100%">
      <BarChart data={params} layout="vertical" margin={{ top: 8, right: 48, bottom: 4, left: 8 }}>
        <CartesianGrid stroke="#eef0f3" horizontal={false} />
        <XAxis type="number" domain={[0, 1]} tickFormatter={percent} tick={{ fontSize: 12 }} />
        <YAxis type="category" dataKey="name" tick={{ fontSize: 12 }} width={110} />
        <Tooltip formatter={(v) => (typeof v === "number" ? percent(v) : String(v))} isAnimationActive={false} />
        <Bar dataKey="share" name="share of variance" fill="#6366f1" maxBarSize={36} isAnimationActive={false}>
          <LabelList
            dataKey="share"
            position="right"
            formatter={(v: unknown) => (typeof v === "number" ? percent(v) : "")}
            style={{ fontSize: 12, fill: "#4b5563" }}
          />
        </Bar>
      </BarChart>
    </ResponsiveContainer>
  );
}
