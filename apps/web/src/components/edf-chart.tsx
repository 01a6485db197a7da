"use client";
import { useMemo, useState } from "react";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, XAxis, YAxis } from "recharts";
import { formatValue } from "@/lib/format";
import type { EdfPoint } from "@/lib/plot-data";
import { logAxis, roundAxis } from "@/lib/round-axis";
import { CANVAS_FROM, CanvasScatter, type DotStyle } from "./canvas-scatter";

const DOT: DotStyle = { r: 3.5, fill: "#6366f1" };
const HOVER_DOT: DotStyle = { r: 6, fill: "#6366f1" };
const dotStyle = () => DOT;
const hoverStyle = () => HOVER_DOT;

/**
 * The empirical distribution of the objective: a step up by 1/n at each trial's value, with a
 * dot per trial to hover (its number, value and share) and click.
 */
export function EdfChart(props: { points: EdfPoint[]; objectiveName: string; log: boolean; onPick: (trialId: string) => void }) {
  const { points, objectiveName, log, onPick } = props;
  const [hover, setHover] = useState<EdfPoint | null>(null);
  const x = useMemo(() => (log ? logAxis : roundAxis)(points.map((p) => p.value)), [log, points]);
  const onCanvas = points.length > CANVAS_FROM;
  const dots = useMemo(() => (onCanvas ? points.map((p) => ({ ...p, xPos: p.value, yPos: p.p })) : []), [onCanvas, points]);
  return (
    <div style={{ position: "relative", width: "100%", height: "100%" }}>
      {hover ? (
        <div className="curve-hover" data-testid="edf-hover">
          <strong>trial #{hover.number}</strong> · {objectiveName} {formatValue(hover.value)} · {Math.round(hover.p * 1000) / 10}%
          of trials at or below
        </div>
      ) : null}
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={points} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
          <CartesianGrid stroke="#eef0f3" />
          <XAxis
            dataKey="value"
            type="number"
            scale={log ? "log" : "linear"}
            domain={x?.domain ?? ["auto", "auto"]}
            ticks={x?.ticks}
            tickFormatter={(v: number) => formatValue(v)}
            tick={{ fontSize: 12 }}
            label={{ value: objectiveName, position: "insideBottomRight", offset: -2, fontSize: 12, fill: "#8a94a3" }}
          />
          <YAxis
            type="number"
            domain={[0, 1]}
            tickFormatter={(v: number) => `${Math.round(v * 100)}%`}
            tick={{ fontSize: 12 }}
            width={48}
          />
          <Line
            dataKey="p"
            type="stepAfter"
            stroke="#6366f1"
            strokeWidth={2}
            isAnimationActive={false}
            activeDot={false}
            dot={
              !onCanvas &&
              ((props: { cx?: number; cy?: number; payload?: EdfPoint; index?: number }) => {
                const p = props.payload;
                if (!p || props.cx === undefined || props.cy === undefined) return <g key={props.index} />;
                return (
                  <circle
                    key={p.trialId}
                    cx={props.cx}
                    cy={props.cy}
                    r={hover?.trialId === p.trialId ? 6 : 3.5}
                    fill="#6366f1"
                    style={{ cursor: "pointer" }}
                    data-testid="edf-dot"
                    data-trial-number={p.number}
                    onMouseEnter={() => setHover(p)}
                    onMouseLeave={() => setHover(null)}
                    onClick={() => onPick(p.trialId)}
                  />
                );
              })
            }
          />
          {onCanvas ? (
            <CanvasScatter
              points={dots}
              styleOf={dotStyle}
              hovered={hover ? (dots.find((d) => d.trialId === hover.trialId) ?? null) : null}
              hoverStyle={hoverStyle}
              onHover={setHover}
              onPick={onPick}
              testId="edf-canvas"
            />
          ) : null}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
