"use client";
import { useEffect, useRef, type MouseEvent } from "react";
import { shadeColor, type ParallelLine } from "@/lib/plot-data";

/** A line within this many px of the pointer (vertically, between two axes) is under it. */
const HIT_PX = 4;

interface ParallelCanvasProps {
  width: number;
  height: number;
  lines: readonly ParallelLine[];
  /** The trials inside every brush (drawn in colour; the rest faded), or null when nothing is brushed. */
  inside: ReadonlySet<string> | null;
  hover: ParallelLine | null;
  /** x of the i-th axis and y of a [0, 1] position, in the chart's pixels. */
  ax: (i: number) => number;
  y: (v: number) => number;
  onHover: (l: ParallelLine | null) => void;
  onPick: (trialId: string) => void;
}

/** The line under the pointer: the nearest one within HIT_PX at the pointer's x, between the two axes around it. */
function lineAt(lines: readonly ParallelLine[], ax: (i: number) => number, y: (v: number) => number, px: number, py: number) {
  const axes = lines[0]?.ys.length ?? 0;
  let k = 0;
  while (k < axes - 2 && px > ax(k + 1)) k++;
  const [x0, x1] = [ax(k), ax(k + 1)];
  if (axes < 2 || px < x0 - HIT_PX || px > x1 + HIT_PX) return null;
  const t = x1 > x0 ? Math.max(0, Math.min(1, (px - x0) / (x1 - x0))) : 0;
  let best: ParallelLine | null = null;
  let bestD = HIT_PX;
  for (const l of lines) {
    const d = Math.abs(y(l.ys[k]!) + t * (y(l.ys[k + 1]!) - y(l.ys[k]!)) - py);
    if (d <= bestD) [best, bestD] = [l, d];
  }
  return best;
}

/**
 * The parallel-coordinates lines on one <canvas> (inside the chart's SVG, under its axes and
 * brush handles), for more lines than SVG draws quickly. Says how many it drew in data-drawn.
 */
export function ParallelCanvas({ width, height, lines, inside, hover, ax, y, onHover, onPick }: ParallelCanvasProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const drawn = inside ? lines.filter((l) => inside.has(l.trialId)) : lines;
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext("2d");
    if (!canvas || !ctx) return;
    const ratio = Math.min(2, window.devicePixelRatio || 1);
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const stroke = (l: ParallelLine) => {
      ctx.beginPath();
      l.ys.forEach((v, i) => (i === 0 ? ctx.moveTo(ax(i), y(v)) : ctx.lineTo(ax(i), y(v))));
      ctx.stroke();
    };
    if (inside) {
      [ctx.strokeStyle, ctx.globalAlpha, ctx.lineWidth] = ["#cbd5e1", 0.35, 1];
      ctx.setLineDash([]);
      for (const l of lines) if (!inside.has(l.trialId)) stroke(l);
    }
    for (const l of drawn) {
      if (l.trialId === hover?.trialId) continue;
      ctx.strokeStyle = l.infeasible ? "#94a3b8" : shadeColor(l.shade);
      ctx.globalAlpha = hover ? 0.15 : 0.7;
      ctx.lineWidth = 1.5;
      ctx.setLineDash(l.infeasible ? [4, 3] : []);
      stroke(l);
    }
    const top = hover ? drawn.find((l) => l.trialId === hover.trialId) : undefined;
    if (top) {
      [ctx.strokeStyle, ctx.globalAlpha, ctx.lineWidth] = [top.infeasible ? "#94a3b8" : shadeColor(top.shade), 0.7, 3];
      ctx.setLineDash(top.infeasible ? [4, 3] : []);
      stroke(top);
    }
    ctx.globalAlpha = 1;
    canvas.dataset.drawn = String(drawn.length);
  }, [width, height, lines, drawn, inside, hover, ax, y]);

  const at = (e: MouseEvent<HTMLCanvasElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    return lineAt(drawn, ax, y, e.clientX - box.left, e.clientY - box.top);
  };
  return (
    <foreignObject x={0} y={0} width={width} height={height}>
      <canvas
        ref={ref}
        style={{ width, height, display: "block", cursor: hover ? "pointer" : "default" }}
        data-testid="parallel-canvas"
        data-marks={drawn.length}
        onMouseMove={(e) => {
          const l = at(e);
          if (l?.trialId !== hover?.trialId) onHover(l);
        }}
        onMouseLeave={() => onHover(null)}
        onClick={(e) => {
          const l = at(e);
          if (l) onPick(l.trialId);
        }}
      />
    </foreignObject>
  );
}
