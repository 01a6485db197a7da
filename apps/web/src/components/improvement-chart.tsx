"use client";
import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatValue } from "@/lib/format";

export interface ImprovementPoint {
  trials: number;
  bound: number;
}

/**
 * The improvement-left estimate against the number of complete trials, on a log scale when every
 * value is positive (it shrinks by orders of magnitude), with the study's stop threshold as a line.
 */
export function ImprovementChart({ points, threshold }: { points: ImprovementPoint[]; threshold: number | null }) {
  const log = points.every((p) => p.bound > 0) && (threshold === null || threshold > 0);
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={points} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
        <CartesianGrid stroke="#eef0f3" />
        <XAxis
          dataKey="trials"
          type="number"
          domain={["dataMin", "dataMax"]}
          tick={{ fontSize: 12 }}
          label={{ value: "complete trials", position: "insideBottomRight", offset: -2, fontSize: 12, fill: "#8a94a3" }}
        />
        <YAxis
          type="number"
          scale={log ? "log" : "linear"}
          domain={log ? ["auto", "auto"] : [0, "auto"]}
          tickFormatter={(v: number) => formatValue(v)}
          tick={{ fontSize: 12 }}
          width={64}
        />
        <Tooltip
          formatter={(v) => [formatValue(Number(v)), "improvement left"]}
          labelFormatter={(n) => `after ${String(n)} complete trials`}
        />
        {threshold !== null ? (
          <ReferenceLine
            y={threshold}
            stroke="#dc2626"
            strokeDasharray="4 4"
            label={{ value: "stop below", position: "insideTopRight", fontSize: 12, fill: "#dc2626" }}
          />
        ) : null}
        <Line dataKey="bound" stroke="#0ea5e9" strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
}
