"use client";
import { useCallback, useMemo, useState } from "react";
import { ResponsiveContainer, Scatter, ScatterChart, XAxis, YAxis } from "recharts";
import { CANVAS_FROM, CanvasScatter, extremes, type DotStyle } from "@/components/canvas-scatter";
import { formatParam, formatValue } from "@/lib/format";
import { shadeColor, type ParamAxis } from "@/lib/plot-data";
import type { RankPoint } from "@/lib/plot-data-rank";
import { categoryJitter, positionTicks } from "./plot-axes";

/** A small multiple's height: two rows of three fit the card's usual 320 px with their axis labels. */
export const RANK_PANEL_HEIGHT = 150;

export interface RankPanel {
  x: ParamAxis;
  y: ParamAxis;
  logX: boolean;
  logY: boolean;
  points: RankPoint[];
}

/** A trial without an objective has no rank: grey, under the ranked ones. */
const NO_RANK = "#94a3b8";

/** The trials' extent and 4% more on each side, so that the extreme dots are drawn whole. */
function extent(axis: ParamAxis, positions: number[]): [number, number] | ["auto", "auto"] {
  if (axis.kind === "categorical") return [-0.5, axis.categories.length - 0.5];
  if (positions.length === 0) return ["auto", "auto"];
  const [lo, hi] = [Math.min(...positions), Math.max(...positions)];
  const pad = hi > lo ? (hi - lo) * 0.04 : 0.5;
  return [lo - pad, hi + pad];
}

const fillOf = (p: RankPoint) => (p.rank === null ? NO_RANK : shadeColor(p.rank));
const dotStyle = (p: RankPoint): DotStyle => ({ r: 3.5, fill: fillOf(p), opacity: 0.9 });
const hoverStyle = (p: RankPoint): DotStyle => ({ r: 5, fill: fillOf(p), opacity: 0.9, stroke: "#0f172a" });

function Panel(props: {
  panel: RankPanel;
  /** Every panel draws on a canvas when their marks together pass CANVAS_FROM. */
  onCanvas: boolean;
  hover: RankPoint | null;
  onHover: (p: RankPoint | null) => void;
  onPick: (id: string) => void;
}) {
  const { panel, hover, onCanvas, onHover } = props;
  const dots = useMemo(
    () =>
      panel.points
        .map((p) => ({
          ...p,
          xPos: p.xPos + categoryJitter(panel.x, p.number),
          yPos: p.yPos + categoryJitter(panel.y, p.number + 1),
        }))
        // Unranked first so that ranked dots draw over them; then worst first so the best stay visible.
        .sort((a, b) => (b.rank ?? 2) - (a.rank ?? 2)),
    [panel],
  );
  // A hover over another panel's dot of the same trial highlights it here too.
  const hovered = useMemo(() => (hover ? (dots.find((d) => d.trialId === hover.trialId) ?? null) : null), [dots, hover]);
  const styleOf = useCallback(dotStyle, []);
  const xDomain = extent(
    panel.x,
    panel.points.map((p) => p.xPos),
  );
  const yDomain = extent(
    panel.y,
    panel.points.map((p) => p.yPos),
  );
  const xt = positionTicks(panel.x, panel.logX, typeof xDomain[0] === "number" ? (xDomain as [number, number]) : [0, 0]);
  const yt = positionTicks(panel.y, panel.logY, typeof yDomain[0] === "number" ? (yDomain as [number, number]) : [0, 0]);
  return (
    <div style={{ height: RANK_PANEL_HEIGHT }} data-testid="rank-panel" data-pair={`${panel.x.name}/${panel.y.name}`}>
      <ResponsiveContainer width="100%" height="100%">
        <ScatterChart margin={{ top: 6, right: 10, bottom: 14, left: 4 }}>
          <XAxis
            dataKey="xPos"
            type="number"
            domain={xDomain}
            ticks={xt.ticks}
            tickFormatter={xt.format}
            tick={{ fontSize: 10 }}
            label={{ value: panel.x.name, position: "insideBottom", offset: -10, fontSize: 11, fill: "#64748b" }}
          />
          <YAxis
            dataKey="yPos"
            type="number"
            domain={yDomain}
            ticks={yt.ticks}
            tickFormatter={yt.format}
            tick={{ fontSize: 10 }}
            width={56}
            label={{ value: panel.y.name, angle: -90, position: "insideLeft", fontSize: 11, fill: "#64748b" }}
          />
          <Scatter
            data={onCanvas ? extremes(dots) : dots}
            isAnimationActive={false}
            shape={(s: { cx?: number; cy?: number; payload?: RankPoint }) => {
              const p = s.payload;
              if (onCanvas || !p || s.cx === undefined || s.cy === undefined) return <g />;
              return (
                <circle
                  cx={s.cx}
                  cy={s.cy}
                  r={hover?.trialId === p.trialId ? 5 : 3.5}
                  fill={fillOf(p)}
                  fillOpacity={0.9}
                  stroke={hover?.trialId === p.trialId ? "#0f172a" : "none"}
                  style={{ cursor: "pointer" }}
                  data-testid="rank-dot"
                  data-trial-number={p.number}
                  onMouseEnter={() => onHover(p)}
                  onMouseLeave={() => onHover(null)}
                  onClick={() => props.onPick(p.trialId)}
                />
              );
            }}
          />
          {onCanvas ? (
            <CanvasScatter
              points={dots}
              styleOf={styleOf}
              hovered={hovered}
              hoverStyle={hoverStyle}
              onHover={onHover}
              onPick={props.onPick}
              testId="rank-canvas"
            />
          ) : null}
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Pairwise small multiples of the chosen parameters, each trial coloured by its objective's rank. */
export function RankChart({
  panels,
  ranked,
  objectiveName,
  onPick,
}: {
  panels: RankPanel[];
  ranked: number;
  /** "objective", or the chosen metric of a multi-objective study. */
  objectiveName: string;
  onPick: (trialId: string) => void;
}) {
  const [hover, setHover] = useState<{ point: RankPoint; panel: RankPanel } | null>(null);
  const p = hover?.point;
  const onCanvas = panels.reduce((n, panel) => n + panel.points.length, 0) > CANVAS_FROM;
  return (
    <div style={{ position: "relative" }}>
      {hover && p ? (
        <div className="curve-hover" data-testid="rank-hover">
          <strong>trial #{p.number}</strong> · {p.state} · {hover.panel.x.name} = {formatParam(p.x)} · {hover.panel.y.name} ={" "}
          {formatParam(p.y)} ·{" "}
          {p.rank === null
            ? `no ${objectiveName}`
            : `${objectiveName} ${formatValue(p.value)} (rank ${Math.round(p.rank * Math.max(1, ranked - 1)) + 1} of ${ranked})`}
        </div>
      ) : null}
      <div style={{ display: "grid", gridTemplateColumns: `repeat(${Math.min(3, panels.length)}, 1fr)`, gap: 4 }}>
        {panels.map((panel) => (
          <Panel
            key={`${panel.x.name}/${panel.y.name}`}
            panel={panel}
            onCanvas={onCanvas}
            hover={hover?.point ?? null}
            onHover={(point) => setHover(point ? { point, panel } : null)}
            onPick={onPick}
          />
        ))}
      </div>
    </div>
  );
}
