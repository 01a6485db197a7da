"use client";
import { useCallback, useMemo, useState } from "react";
import {
  CartesianGrid,
  DefaultZIndexes,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  useXAxisScale,
  useYAxisScale,
  XAxis,
  YAxis,
  ZIndexLayer,
} from "recharts";
import { CANVAS_FROM, CanvasScatter, extremes } from "@/components/canvas-scatter";
import { formatParam, formatValue } from "@/lib/format";
import { shadeColor, type ParamAxis } from "@/lib/plot-data";
import type { ContourData, ContourPoint } from "@/lib/plot-data-contour";
import { categoryJitter, positionTicks } from "./plot-axes";

interface ContourChartProps {
  /** "objective", or the chosen metric of a multi-objective study. */
  objectiveName: string;
  data: ContourData;
  xAxis: ParamAxis;
  yAxis: ParamAxis;
  logX: boolean;
  logY: boolean;
  onPick: (trialId: string) => void;
}

/**
 * The interpolated cells, drawn in the chart's own scales (recharts has no contour). Below the
 * axes and the trials' dots, in the layer recharts gives areas.
 */
function ContourCells({ data, shade }: { data: ContourData; shade: (v: number) => number }) {
  const xScale = useXAxisScale();
  const yScale = useYAxisScale();
  if (!xScale || !yScale) return null;
  const halfX = (data.x.domain[1] - data.x.domain[0]) / data.x.cells / 2;
  const halfY = (data.y.domain[1] - data.y.domain[0]) / data.y.cells / 2;
  return (
    <ZIndexLayer zIndex={DefaultZIndexes.area}>
      <g data-testid="contour-cells">
        {data.cells.map((c) => {
          const [x0, x1] = [xScale(c.x - halfX), xScale(c.x + halfX)];
          const [y0, y1] = [yScale(c.y + halfY), yScale(c.y - halfY)];
          if (x0 === undefined || x1 === undefined || y0 === undefined || y1 === undefined) return null;
          return (
            <rect
              key={`${c.x},${c.y}`}
              x={Math.min(x0, x1)}
              y={Math.min(y0, y1)}
              // Half a pixel more on each side: anti-aliased edges of abutting cells would show the background as seams.
              width={Math.abs(x1 - x0) + 0.5}
              height={Math.abs(y1 - y0) + 0.5}
              fill={shadeColor(shade(c.value))}
              data-testid="contour-cell"
            />
          );
        })}
      </g>
    </ZIndexLayer>
  );
}

/** The objective over two parameters: interpolated cells, the trials as dots on top (hover names one, a click opens it). */
export function ContourChart({ data, xAxis, yAxis, logX, logY, objectiveName, onPick }: ContourChartProps) {
  const [hover, setHover] = useState<ContourPoint | null>(null);
  const [lo, hi] = data.range ?? [0, 0];
  const shade = (v: number) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);
  const xt = positionTicks(xAxis, logX, data.x.domain);
  const yt = positionTicks(yAxis, logY, data.y.domain);
  const dots = useMemo(
    () =>
      data.points.map((p) => ({
        ...p,
        xPos: p.xPos + categoryJitter(xAxis, p.number),
        yPos: p.yPos + categoryJitter(yAxis, p.number + 1),
      })),
    [data.points, xAxis, yAxis],
  );
  const onCanvas = dots.length > CANVAS_FROM;
  const styleOf = useCallback(
    (p: ContourPoint) => ({ r: 4, fill: shadeColor(hi > lo ? (p.value - lo) / (hi - lo) : 0.5), stroke: "#0f172a" }),
    [lo, hi],
  );
  const hoverStyle = useCallback((p: ContourPoint) => ({ ...styleOf(p), r: 6 }), [styleOf]);
  return (
    <div style={{ position: "relative", width: "100%", height: "100%" }}>
      {hover ? (
        <div className="curve-hover" data-testid="contour-hover">
          <strong>trial #{hover.number}</strong> · {xAxis.name} = {formatParam(hover.x)} · {yAxis.name} = {formatParam(hover.y)} ·{" "}
          {objectiveName} {formatValue(hover.value)}
        </div>
      ) : null}
      <ResponsiveContainer width="100%" height="100%">
        <ScatterChart margin={{ top: 8, right: 16, bottom: 16, left: 8 }}>
          <CartesianGrid stroke="#eef0f3" />
          <XAxis
            dataKey="xPos"
            type="number"
            domain={data.x.domain}
            allowDataOverflow
            ticks={xt.ticks}
            tickFormatter={xt.format}
            tick={{ fontSize: 12 }}
            label={{
              value: `${xAxis.name}${logX ? " (log)" : ""}`,
              position: "insideBottom",
              offset: -12,
              fontSize: 12,
              fill: "#64748b",
            }}
          />
          <YAxis
            dataKey="yPos"
            type="number"
            domain={data.y.domain}
            allowDataOverflow
            ticks={yt.ticks}
            tickFormatter={yt.format}
            tick={{ fontSize: 12 }}
            width={72}
            label={{
              value: `${yAxis.name}${logY ? " (log)" : ""}`,
              angle: -90,
              position: "insideLeft",
              fontSize: 12,
              fill: "#64748b",
            }}
          />
          <ContourCells data={data} shade={shade} />
          <Scatter
            data={onCanvas ? extremes(dots) : dots}
            isAnimationActive={false}
            shape={(props: { cx?: number; cy?: number; payload?: ContourPoint }) => {
              const p = props.payload;
              if (onCanvas || !p || props.cx === undefined || props.cy === undefined) return <g />;
              return (
                <circle
                  cx={props.cx}
                  cy={props.cy}
                  r={hover?.trialId === p.trialId ? 6 : 4}
                  fill={shadeColor(shade(p.value))}
                  stroke="#0f172a"
                  strokeWidth={1}
                  style={{ cursor: "pointer" }}
                  data-testid="contour-dot"
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
              points={dots}
              styleOf={styleOf}
              hovered={hover ? (dots.find((d) => d.trialId === hover.trialId) ?? null) : null}
              hoverStyle={hoverStyle}
              onHover={setHover}
              onPick={onPick}
              testId="contour-canvas"
            />
          ) : null}
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}
