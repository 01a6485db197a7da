"use client";
import { useState, type PointerEvent } from "react";
import { formatParam, formatValue } from "@/lib/format";
import { shadeColor, type ParallelLine, type ParamAxis } from "@/lib/plot-data";
import { brushFromSpan, brushSpan, OBJECTIVE_AXIS, type BrushAxis, type BrushRange, type Brushes } from "@/lib/plot-data-brush";
import { CANVAS_FROM } from "./canvas-scatter";
import { ParallelCanvas } from "./parallel-canvas";
import { useWidth } from "./use-width";

const PAD_X = 56;
const TOP = 28;
const BOTTOM = 24;
const HEIGHT = 300;
/** The band around an axis that takes a drag; 24 px is a comfortable target and leaves most of a line's length hoverable. */
const BRUSH_WIDTH = 24;
/** A press that moves less than this is a click: it clears the axis's brush. */
const CLICK_PX = 3;
const OBJECTIVE: BrushAxis = { name: OBJECTIVE_AXIS, kind: "numeric", canLog: false };

interface ParallelChartProps {
  axes: ParamAxis[];
  lines: ParallelLine[];
  /** Per axis, the objective's last: [lo, hi] in the axis's units (log10 for `logAxes`), null for categorical. */
  ranges: Array<[number, number] | null>;
  logAxes: ReadonlySet<string>;
  params: Record<string, Record<string, unknown>>;
  brushes: Brushes;
  /** The trials inside every brush; null when nothing is brushed. */
  inside: ReadonlySet<string> | null;
  /** A range dragged on an axis, or null when the axis was clicked (clear it). */
  onBrush: (axis: string, brush: BrushRange | null) => void;
  onPick: (trialId: string) => void;
  /** The last axis's title: "objective", or the chosen metric of a multi-objective study. */
  objectiveName: string;
}

/** Pixels to the [0, 1] position of an axis (1 at the top). */
function positionAt(py: number): number {
  return Math.max(0, Math.min(1, 1 - (py - TOP) / (HEIGHT - TOP - BOTTOM)));
}

/**
 * Parallel coordinates: the chosen parameters and the objective as vertical axes, one line per
 * trial coloured by its objective (infeasible ones dashed grey). recharts has no such chart; this is plain SVG in pixels.
 * Dragging along an axis brushes a range (lines outside every brush fade); clicking it clears it.
 */
export function ParallelChart(props: ParallelChartProps) {
  const { axes, lines, ranges, logAxes, params, brushes, inside, onBrush, onPick, objectiveName } = props;
  const { ref, width } = useWidth<HTMLDivElement>();
  const [hover, setHover] = useState<ParallelLine | null>(null);
  const [drag, setDrag] = useState<{ axis: number; from: number; to: number } | null>(null);
  const names = [...axes.map((a) => a.name), objectiveName];
  const brushAxes: BrushAxis[] = [...axes, OBJECTIVE];
  const step = names.length > 1 ? (width - 2 * PAD_X) / (names.length - 1) : 0;
  const ax = (i: number) => PAD_X + i * step;
  const y = (v: number) => TOP + (1 - v) * (HEIGHT - TOP - BOTTOM);
  const isLog = (i: number) => i < axes.length && logAxes.has(axes[i]!.name);
  const endLabel = (i: number, end: 0 | 1): string => {
    const r = ranges[i];
    if (!r) return "";
    const v = r[end];
    return isLog(i) ? formatValue(10 ** v) : formatValue(v);
  };
  const localY = (e: PointerEvent<SVGRectElement>) =>
    e.clientY - (e.currentTarget.ownerSVGElement?.getBoundingClientRect().top ?? 0);
  const endDrag = (e: PointerEvent<SVGRectElement>) => {
    if (!drag) return;
    const to = localY(e);
    setDrag(null);
    const axis = brushAxes[drag.axis]!;
    if (Math.abs(to - drag.from) < CLICK_PX) return onBrush(axis.name, null);
    onBrush(axis.name, brushFromSpan(axis, ranges[drag.axis] ?? null, isLog(drag.axis), positionAt(drag.from), positionAt(to)));
  };
  const drawn = inside ? lines.filter((l) => inside.has(l.trialId)) : lines;
  const onCanvas = lines.length > CANVAS_FROM;
  return (
    <div ref={ref} style={{ position: "relative", width: "100%", height: "100%" }}>
      {hover ? (
        <div className="curve-hover" data-testid="parallel-hover">
          <strong>trial #{hover.number}</strong> · {objectiveName} {formatValue(hover.value)}
          {hover.infeasible ? " · infeasible" : ""} ·{" "}
          {axes.map((a) => `${a.name}=${formatParam(params[hover.trialId]?.[a.name])}`).join("  ")}
        </div>
      ) : null}
      {width > 0 ? (
        <svg width={width} height={HEIGHT} role="img" aria-label="Parallel coordinates">
          {onCanvas ? (
            <ParallelCanvas
              width={width}
              height={HEIGHT}
              lines={lines}
              inside={inside}
              hover={hover}
              ax={ax}
              y={y}
              onHover={setHover}
              onPick={onPick}
            />
          ) : null}
          {!onCanvas && inside
            ? lines
                .filter((l) => !inside.has(l.trialId))
                .map((l) => (
                  <polyline
                    key={l.trialId}
                    points={l.ys.map((v, i) => `${ax(i)},${y(v)}`).join(" ")}
                    fill="none"
                    stroke="#cbd5e1"
                    strokeOpacity={0.35}
                    strokeWidth={1}
                    pointerEvents="none"
                    data-testid="parallel-line-out"
                  />
                ))
            : null}
          {(onCanvas ? [] : drawn).map((l) => (
            <polyline
              key={l.trialId}
              points={l.ys.map((v, i) => `${ax(i)},${y(v)}`).join(" ")}
              fill="none"
              stroke={l.infeasible ? "#94a3b8" : shadeColor(l.shade)}
              strokeDasharray={l.infeasible ? "4 3" : undefined}
              strokeOpacity={hover && hover.trialId !== l.trialId ? 0.15 : 0.7}
              strokeWidth={hover?.trialId === l.trialId ? 3 : 1.5}
              style={{ cursor: "pointer" }}
              data-testid="parallel-line"
              data-trial-number={l.number}
              data-infeasible={l.infeasible ? "true" : undefined}
              onMouseEnter={() => setHover(l)}
              onMouseLeave={() => setHover(null)}
              onClick={() => onPick(l.trialId)}
            />
          ))}
          {names.map((name, i) => {
            const axis = axes[i];
            return (
              <g key={name} pointerEvents="none">
                <line x1={ax(i)} x2={ax(i)} y1={TOP} y2={HEIGHT - BOTTOM} stroke="#94a3b8" />
                <text x={ax(i)} y={14} textAnchor="middle" fontSize={12} fontWeight={600} fill="#334155">
                  {name}
                  {isLog(i) ? " (log)" : ""}
                </text>
                {axis?.kind === "categorical" ? (
                  axis.categories.map((c, k) => (
                    <text
                      key={c}
                      x={ax(i) + 4}
                      y={y(axis.categories.length === 1 ? 0.5 : k / (axis.categories.length - 1)) + 4}
                      fontSize={11}
                      fill="#475569"
                    >
                      {c}
                    </text>
                  ))
                ) : (
                  <>
                    <text x={ax(i) + 4} y={HEIGHT - BOTTOM + 14} fontSize={11} fill="#8a94a3">
                      {endLabel(i, 0)}
                    </text>
                    <text x={ax(i) + 4} y={TOP - 2} fontSize={11} fill="#8a94a3">
                      {endLabel(i, 1)}
                    </text>
                  </>
                )}
              </g>
            );
          })}
          {brushAxes.map((axis, i) => {
            const brush = brushes[axis.name];
            const span = brush ? brushSpan(axis, brush, ranges[i] ?? null, isLog(i)) : null;
            return span ? (
              <rect
                key={`brush-${axis.name}`}
                x={ax(i) - BRUSH_WIDTH / 4}
                width={BRUSH_WIDTH / 2}
                y={y(span[1])}
                height={Math.max(2, y(span[0]) - y(span[1]))}
                fill="#0f172a"
                fillOpacity={0.18}
                stroke="#0f172a"
                strokeOpacity={0.5}
                pointerEvents="none"
                data-testid="parallel-brush"
                data-axis={axis.name === OBJECTIVE_AXIS ? "objective" : axis.name}
                {...(brush?.kind === "numeric" ? { "data-lo": brush.lo, "data-hi": brush.hi } : {})}
                {...(brush?.kind === "categorical" ? { "data-categories": brush.categories.join(",") } : {})}
              />
            ) : null;
          })}
          {drag ? (
            <rect
              x={ax(drag.axis) - BRUSH_WIDTH / 4}
              width={BRUSH_WIDTH / 2}
              y={Math.min(drag.from, drag.to)}
              height={Math.abs(drag.to - drag.from)}
              fill="#0f172a"
              fillOpacity={0.12}
              pointerEvents="none"
            />
          ) : null}
          {brushAxes.map((axis, i) => (
            <rect
              key={`grab-${axis.name}`}
              x={ax(i) - BRUSH_WIDTH / 2}
              width={BRUSH_WIDTH}
              y={TOP - 4}
              height={HEIGHT - TOP - BOTTOM + 8}
              fill="transparent"
              style={{ cursor: "ns-resize", touchAction: "none" }}
              data-testid="parallel-brush-axis"
              data-axis={axis.name === OBJECTIVE_AXIS ? "objective" : axis.name}
              onPointerDown={(e) => {
                e.currentTarget.setPointerCapture(e.pointerId);
                const at = localY(e);
                setDrag({ axis: i, from: at, to: at });
              }}
              onPointerMove={(e) => {
                if (drag?.axis === i) setDrag({ ...drag, to: localY(e) });
              }}
              onPointerUp={endDrag}
              onPointerCancel={() => setDrag(null)}
            >
              <title>Drag to brush a range of {names[i]}; click to clear it</title>
            </rect>
          ))}
        </svg>
      ) : null}
    </div>
  );
}
