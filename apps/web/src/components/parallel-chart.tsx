"use client";
import { useState } from "react";
import { formatParam, formatValue } from "@/lib/format";
import type { ParallelLine, ParamAxis } from "@/lib/plot-data";
import { useWidth } from "./use-width";

const PAD_X = 56;
const TOP = 28;
const BOTTOM = 24;
const HEIGHT = 300;

/** Low objective blue, high amber: the hue runs 230° → 35° with the line's shade. */
function shadeColor(shade: number): string {
  return `hsl(${Math.round(230 - shade * 195)}, 75%, 50%)`;
}

interface ParallelChartProps {
  axes: ParamAxis[];
  lines: ParallelLine[];
  /** Per axis, the objective's last: [lo, hi] in the axis's units (log10 for `logAxes`), null for categorical. */
  ranges: Array<[number, number] | null>;
  logAxes: ReadonlySet<string>;
  params: Record<string, Record<string, unknown>>;
  onPick: (trialId: string) => void;
}

/**
 * Parallel coordinates: the chosen parameters and the objective as vertical axes, one line per
 * trial coloured by its objective. recharts has no such chart; this is plain SVG in pixels.
 */
export function ParallelChart({ axes, lines, ranges, logAxes, params, onPick }: ParallelChartProps) {
  const { ref, width } = useWidth<HTMLDivElement>();
  const [hover, setHover] = useState<ParallelLine | null>(null);
  const names = [...axes.map((a) => a.name), "objective"];
  const step = names.length > 1 ? (width - 2 * PAD_X) / (names.length - 1) : 0;
  const ax = (i: number) => PAD_X + i * step;
  const y = (v: number) => TOP + (1 - v) * (HEIGHT - TOP - BOTTOM);
  const endLabel = (i: number, end: 0 | 1): string => {
    const r = ranges[i];
    if (!r) return "";
    const v = r[end];
    return i < axes.length && logAxes.has(axes[i]!.name) ? formatValue(10 ** v) : formatValue(v);
  };
  return (
    <div ref={ref} style={{ position: "relative", width: "100%", height: "100%" }}>
      {hover ? (
        <div className="curve-hover" data-testid="parallel-hover">
          <strong>trial #{hover.number}</strong> · objective {formatValue(hover.value)} ·{" "}
          {axes.map((a) => `${a.name}=${formatParam(params[hover.trialId]?.[a.name])}`).join("  ")}
        </div>
      ) : null}
      {width > 0 ? (
        <svg width={width} height={HEIGHT} role="img" aria-label="Parallel coordinates">
          {lines.map((l) => (
            <polyline
              key={l.trialId}
              points={l.ys.map((v, i) => `${ax(i)},${y(v)}`).join(" ")}
              fill="none"
              stroke={shadeColor(l.shade)}
              strokeOpacity={hover && hover.trialId !== l.trialId ? 0.15 : 0.7}
              strokeWidth={hover?.trialId === l.trialId ? 3 : 1.5}
              style={{ cursor: "pointer" }}
              data-testid="parallel-line"
              data-trial-number={l.number}
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
                  {axis && logAxes.has(axis.name) ? " (log)" : ""}
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
        </svg>
      ) : null}
    </div>
  );
}
