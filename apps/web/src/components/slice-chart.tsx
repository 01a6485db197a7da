"use client";
import { useCallback, useMemo, useState } from "react";
import { CartesianGrid, ResponsiveContainer, Scatter, ScatterChart, XAxis, YAxis } from "recharts";
import { formatParam, formatValue } from "@/lib/format";
import type { SlicePoint } from "@/lib/plot-data";
import { logAxis, roundAxis } from "@/lib/round-axis";
import { STATE_COLORS } from "@/lib/state-colors";
import { CANVAS_FROM, CanvasScatter, extremes, type DotStyle } from "./canvas-scatter";

type SliceDot = SlicePoint & { xPos: number; yPos: number };

const fillOf = (p: SlicePoint) => (p.infeasible ? null : (STATE_COLORS[p.state as keyof typeof STATE_COLORS] ?? "#94a3b8"));
const dotStyle = (p: SlicePoint, hovered: boolean): DotStyle => ({
  r: hovered ? 6 : 4,
  fill: fillOf(p),
  opacity: 0.8,
  stroke: p.infeasible ? "#94a3b8" : null,
  lineWidth: 1.5,
});

interface SliceChartProps {
  points: SlicePoint[];
  param: string;
  /** The y axis's title: "objective", or the chosen metric of a multi-objective study. */
  objectiveName: string;
  /** The categories in axis order, for a categorical parameter; null for a numeric one. */
  categories: string[] | null;
  log: boolean;
  onPick: (trialId: string) => void;
}

/**
 * The objective against one parameter, a dot per trial (pruned ones amber, infeasible ones hollow grey). Categories sit at
 * 0..k-1 with a fixed per-trial spread of ±0.15 so that equal values stay distinguishable.
 */
export function SliceChart({ points, param, objectiveName, categories, log, onPick }: SliceChartProps) {
  const [hover, setHover] = useState<SlicePoint | null>(null);
  const data: SliceDot[] = useMemo(
    () =>
      points.map((p) => ({
        ...p,
        xPos: categories ? categories.indexOf(String(p.x)) + (((p.number * 0.618034) % 1) - 0.5) * 0.3 : (p.x as number),
        yPos: p.value,
      })),
    [points, categories],
  );
  const onCanvas = data.length > CANVAS_FROM;
  const styleOf = useCallback((p: SlicePoint) => dotStyle(p, false), []);
  const hoverStyle = useCallback((p: SlicePoint) => dotStyle(p, true), []);
  const linearX = useMemo(() => (categories || log ? null : roundAxis(data.map((d) => d.xPos))), [data, categories, log]);
  const logX = useMemo(() => (categories || !log ? null : logAxis(data.map((d) => d.xPos))), [data, categories, log]);
  const y = useMemo(() => roundAxis(data.map((d) => d.yPos)), [data]);
  const xDomain = categories ? [-0.5, categories.length - 0.5] : log ? logX?.domain : linearX?.domain;
  return (
    <div style={{ position: "relative", width: "100%", height: "100%" }}>
      {hover ? (
        <div className="curve-hover" data-testid="slice-hover">
          <strong>trial #{hover.number}</strong> · {hover.state} · {param} = {formatParam(hover.x)} · {objectiveName}{" "}
          {formatValue(hover.value)}
          {hover.infeasible ? " · infeasible" : ""}
        </div>
      ) : null}
      <ResponsiveContainer width="100%" height="100%">
        <ScatterChart margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
          <CartesianGrid stroke="#eef0f3" />
          <XAxis
            dataKey="xPos"
            type="number"
            name={param}
            scale={log && !categories ? "log" : "linear"}
            domain={xDomain ?? ["auto", "auto"]}
            ticks={categories ? categories.map((_, i) => i) : log ? logX?.ticks : linearX?.ticks}
            tickFormatter={(v: number) => (categories ? (categories[v] ?? "") : formatValue(v))}
            tick={{ fontSize: 12 }}
            label={{ value: param, position: "insideBottomRight", offset: -2, fontSize: 12, fill: "#8a94a3" }}
          />
          <YAxis
            dataKey="yPos"
            type="number"
            name={objectiveName}
            domain={y?.domain ?? ["auto", "auto"]}
            ticks={y?.ticks}
            tickFormatter={(v: number) => formatValue(v)}
            tick={{ fontSize: 12 }}
            width={72}
            label={{ value: objectiveName, angle: -90, position: "insideLeft", fontSize: 12, fill: "#8a94a3" }}
          />
          <Scatter
            data={onCanvas ? extremes(data) : data}
            isAnimationActive={false}
            shape={(props: { cx?: number; cy?: number; payload?: SlicePoint }) => {
              const p = props.payload;
              if (onCanvas || !p || props.cx === undefined || props.cy === undefined) return <g />;
              return (
                <circle
                  cx={props.cx}
                  cy={props.cy}
                  r={hover?.trialId === p.trialId ? 6 : 4}
                  fill={fillOf(p) ?? "none"}
                  fillOpacity={0.8}
                  stroke={p.infeasible ? "#94a3b8" : "none"}
                  strokeWidth={1.5}
                  data-infeasible={p.infeasible ? "true" : undefined}
                  style={{ cursor: "pointer" }}
                  data-testid="slice-dot"
                  data-trial-number={p.number}
                  onMouseEnter={() => setHover(p)}
                  onMouseLeave={() => setHover(null)}
                  onClick={() => onPick(p.trialId)}
                />
              );
            }}
          />
          {onCanvas ? (
            <CanvasScatter
              points={data}
              styleOf={styleOf}
              hovered={hover as SliceDot | null}
              hoverStyle={hoverStyle}
              onHover={setHover}
              onPick={onPick}
              testId="slice-canvas"
            />
          ) : null}
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}
