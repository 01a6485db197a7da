"use client";
import { useEffect, useMemo, useState } from "react";
import { CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Scatter, Tooltip, XAxis, YAxis } from "recharts";
import { formatValue } from "@/lib/format";
import { logAxis, roundAxis } from "@/lib/round-axis";
import { CANVAS_FROM, CanvasScatter, type DotStyle } from "./canvas-scatter";

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
  /** Called once the chart has drawn its marks (the page holds its other cards back until then). */
  onDrawn?: () => void;
}

/** A history dot on the canvas: the trial's number is its identity there. */
interface HistoryDot {
  trialId: string;
  xPos: number;
  yPos: number;
  point: HistoryPoint;
}

const DOT_STYLES: Record<"complete" | "pruned" | "infeasible", DotStyle> = {
  complete: { r: 3.5, fill: "#6366f1" },
  pruned: { r: 3.5, fill: "#f59e0b" },
  infeasible: { r: 3.5, fill: null, stroke: "#94a3b8", lineWidth: 1.5 },
};
const kindOf = (p: HistoryPoint) => (p.state === "pruned" ? "pruned" : p.infeasible ? "infeasible" : "complete");
const dotStyle = (d: HistoryDot): DotStyle => DOT_STYLES[kindOf(d.point)];
const hoverStyle = (d: HistoryDot): DotStyle => ({ ...dotStyle(d), r: 6, stroke: "#0f172a", lineWidth: 1.5 });

/**
 * Each finished trial's objective (dots; infeasible ones hollow grey) and the best value so far (step line).
 * Over CANVAS_FROM trials the dots go on a canvas and a hover names the trial under the pointer.
 */
export function HistoryChart({ points, log, direction, objectiveName = "objective", onDrawn }: HistoryChartProps) {
  const usable = points.filter((p) => p.value !== null && Number.isFinite(p.value) && (!log || (p.value as number) > 0));
  const onCanvas = usable.length > CANVAS_FROM;
  const [hover, setHover] = useState<HistoryDot | null>(null);
  const dots = useMemo(
    () =>
      onCanvas
        ? points
            .filter((p) => p.value !== null && Number.isFinite(p.value) && (!log || (p.value as number) > 0))
            .map((p) => ({ trialId: String(p.number), xPos: p.number, yPos: p.value as number, point: p }))
        : [],
    [onCanvas, points, log],
  );
  const data = usable.map((p) => ({
    number: p.number,
    complete: p.state === "complete" && !p.infeasible ? p.value : null,
    infeasible: p.state === "complete" && p.infeasible ? p.value : null,
    pruned: p.state === "pruned" ? p.value : null,
    best: p.best !== null && (!log || p.best > 0) ? p.best : null,
  }));
  const values = usable.map((p) => p.value as number);
  // recharts' "auto" domain clips a log axis and labels adaptive ticks: round ones instead.
  const y = log ? logAxis(values) : roundAxis(values);
  // On a canvas, the dots' series keep their legend entries; one invisible series carries the values' extent for the y domain.
  const series = onCanvas ? { data: [] } : {};
  const extent = onCanvas
    ? [
        { number: usable[0]!.number, extent: Math.min(...values) },
        { number: usable.at(-1)!.number, extent: Math.max(...values) },
      ]
    : [];
  // On a canvas the chart's own data is only the best-so-far line's corners (where the best changed, and
  // the ends): the same step line from ~20 rows instead of 1,000, which recharts lays out 50× faster.
  const chartData = onCanvas ? data.filter((d, i) => i === 0 || i === data.length - 1 || d.best !== data[i - 1]!.best) : data;
  const h = hover?.point;
  // SVG marks are in the DOM with the chart's first commit; canvas marks say so when painted.
  useEffect(() => {
    if (!onCanvas) onDrawn?.();
  }, [onCanvas, onDrawn]);
  return (
    <div style={{ position: "relative", width: "100%", height: "100%" }}>
      {h ? (
        <div className="curve-hover" data-testid="history-hover">
          <strong>trial #{h.number}</strong> · {h.state}
          {h.infeasible ? " · infeasible" : ""} · {objectiveName} {formatValue(h.value ?? NaN)}
          {h.best !== null ? ` · best so far ${formatValue(h.best)}` : ""}
        </div>
      ) : null}
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={chartData} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
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
            domain={y?.domain ?? ["auto", "auto"]}
            ticks={y?.ticks}
            tickFormatter={(v: number) => formatValue(v)}
            tick={{ fontSize: 12 }}
            width={72}
          />
          {onCanvas ? null : (
            <Tooltip
              formatter={(v) => (typeof v === "number" ? formatValue(v) : String(v))}
              labelFormatter={(l) => `trial #${String(l)}`}
              isAnimationActive={false}
            />
          )}
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Scatter name={objectiveName} dataKey="complete" fill="#6366f1" isAnimationActive={false} {...series} />
          <Scatter
            name="infeasible"
            dataKey="infeasible"
            fill="none"
            stroke="#94a3b8"
            strokeWidth={1.5}
            legendType={points.some((p) => p.infeasible) ? "circle" : "none"}
            {...series}
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
          <Scatter name="pruned" dataKey="pruned" fill="#f59e0b" isAnimationActive={false} {...series} />
          {onCanvas ? (
            <Scatter
              data={extent}
              dataKey="extent"
              legendType="none"
              tooltipType="none"
              shape={() => <g />}
              isAnimationActive={false}
            />
          ) : null}
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
          {onCanvas ? (
            <CanvasScatter
              points={dots}
              styleOf={dotStyle}
              hovered={hover}
              hoverStyle={hoverStyle}
              onHover={setHover}
              onDrawn={onDrawn}
              testId="history-canvas"
            />
          ) : null}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
