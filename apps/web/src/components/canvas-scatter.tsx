"use client";
import { useEffect, useMemo, useRef, type MouseEvent } from "react";
import { DefaultZIndexes, usePlotArea, useXAxisScale, useYAxisScale, ZIndexLayer } from "recharts";

/**
 * Above this many marks a plot draws them on a canvas instead of one SVG element each: at 2,000
 * points per plot the study page made 22,000 SVG marks, and a 10,000-trial load spent 10 s in
 * garbage collection, 4.8 s measuring and 3.3 s setting attributes before the table's first rows.
 * Under it each mark stays an element of its own (hoverable, inspectable, a few ms to draw).
 */
export const CANVAS_FROM = 300;

/** How a mark looks: a filled and/or stroked circle. */
export interface DotStyle {
  r: number;
  fill: string | null;
  stroke?: string | null;
  lineWidth?: number;
  opacity?: number;
}

/** A mark: where it sits in the axes' units, and the trial it stands for. */
export interface CanvasPoint {
  trialId: string;
  xPos: number;
  yPos: number;
}

/** Pointer within this many px of a mark's edge picks it: an easy target without stealing its neighbours'. */
const HIT_SLOP = 3;
/**
 * The canvas reaches this far past the plot area on every side: a mark on the area's edge (the
 * lowest value, on the x axis's line) is drawn whole and can be pointed at, as an SVG mark could.
 */
const EDGE = 8;

/** The canvas's own pixels per CSS pixel: sharp on a high-density screen, never over 2 (4× the memory at 3). */
function pixelRatio(): number {
  return Math.min(2, typeof window === "undefined" ? 1 : window.devicePixelRatio || 1);
}

/** The mark nearest to (x, y) within its radius plus the slop, or null. */
export function nearestDot(xs: Float64Array, ys: Float64Array, radius: (i: number) => number, x: number, y: number) {
  let best = -1;
  let bestD = Infinity;
  for (let i = 0; i < xs.length; i++) {
    const d = Math.hypot(xs[i]! - x, ys[i]! - y);
    if (d <= radius(i) + HIT_SLOP && d < bestD) {
      best = i;
      bestD = d;
    }
  }
  return best < 0 ? null : best;
}

interface CanvasScatterProps<P extends CanvasPoint> {
  points: readonly P[];
  styleOf: (p: P) => DotStyle;
  /** The hovered mark: drawn last (on top) with `hoverStyle`. */
  hovered: P | null;
  hoverStyle: (p: P) => DotStyle;
  onHover: (p: P | null) => void;
  /** A click on a mark; none: the marks are only hovered. */
  onPick?: (trialId: string) => void;
  /** Called after each drawing of the marks. */
  onDrawn?: () => void;
  testId: string;
}

/**
 * The marks of a recharts scatter drawn on one <canvas> over its plot area, in the chart's own
 * scales (recharts keeps the axes, grid and labels). Hover and click find the nearest mark.
 * The canvas says how many marks it drew in data-drawn once they are on it.
 */
export function CanvasScatter<P extends CanvasPoint>(props: CanvasScatterProps<P>) {
  const { points, styleOf, hovered, hoverStyle, onHover, onPick, onDrawn, testId } = props;
  const xScale = useXAxisScale();
  const yScale = useYAxisScale();
  const area = usePlotArea();
  const ref = useRef<HTMLCanvasElement>(null);
  const layout = useMemo(() => {
    if (!xScale || !yScale || !area) return null;
    const xs = new Float64Array(points.length);
    const ys = new Float64Array(points.length);
    points.forEach((p, i) => {
      xs[i] = (xScale(p.xPos) ?? NaN) - area.x + EDGE;
      ys[i] = (yScale(p.yPos) ?? NaN) - area.y + EDGE;
    });
    return {
      xs,
      ys,
      styles: points.map(styleOf),
      width: area.width + 2 * EDGE,
      height: area.height + 2 * EDGE,
      x: area.x - EDGE,
      y: area.y - EDGE,
    };
  }, [points, styleOf, xScale, yScale, area]);

  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext("2d");
    if (!canvas || !ctx || !layout) return;
    const ratio = pixelRatio();
    canvas.width = Math.round(layout.width * ratio);
    canvas.height = Math.round(layout.height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, layout.width, layout.height);
    const draw = (i: number, s: DotStyle) => {
      const [x, y] = [layout.xs[i]!, layout.ys[i]!];
      if (!Number.isFinite(x) || !Number.isFinite(y)) return;
      ctx.globalAlpha = s.opacity ?? 1;
      ctx.beginPath();
      ctx.arc(x, y, s.r, 0, 2 * Math.PI);
      if (s.fill) {
        ctx.fillStyle = s.fill;
        ctx.fill();
      }
      if (s.stroke) {
        ctx.strokeStyle = s.stroke;
        ctx.lineWidth = s.lineWidth ?? 1;
        ctx.stroke();
      }
    };
    let hoveredAt = -1;
    for (let i = 0; i < points.length; i++) {
      if (hovered && points[i]!.trialId === hovered.trialId) hoveredAt = i;
      else draw(i, layout.styles[i]!);
    }
    if (hoveredAt >= 0) draw(hoveredAt, hoverStyle(points[hoveredAt]!));
    ctx.globalAlpha = 1;
    canvas.dataset.drawn = String(points.length);
    onDrawn?.();
  }, [layout, points, hovered, hoverStyle, onDrawn]);

  if (!layout) return null;
  const at = (e: MouseEvent<HTMLCanvasElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const i = nearestDot(layout.xs, layout.ys, (k) => layout.styles[k]!.r, e.clientX - box.left, e.clientY - box.top);
    return i === null ? null : points[i]!;
  };
  return (
    <ZIndexLayer zIndex={DefaultZIndexes.scatter}>
      <foreignObject x={layout.x} y={layout.y} width={layout.width} height={layout.height}>
        <canvas
          ref={ref}
          style={{ width: layout.width, height: layout.height, display: "block", cursor: hovered ? "pointer" : "default" }}
          data-testid={testId}
          data-marks={points.length}
          onMouseMove={(e) => {
            const p = at(e);
            if (p?.trialId !== hovered?.trialId) onHover(p);
          }}
          onMouseLeave={() => onHover(null)}
          onClick={(e) => {
            const p = at(e);
            if (p) onPick?.(p.trialId);
          }}
        />
      </foreignObject>
    </ZIndexLayer>
  );
}

/**
 * Two invisible points at the marks' extremes: recharts' "auto" axis domain from them is the
 * one it would compute from every point, without laying out every point.
 */
export function extremes<P extends CanvasPoint>(points: readonly P[]): Array<{ xPos: number; yPos: number }> {
  if (points.length === 0) return [];
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const p of points) {
    if (Number.isFinite(p.xPos)) [x0, x1] = [Math.min(x0, p.xPos), Math.max(x1, p.xPos)];
    if (Number.isFinite(p.yPos)) [y0, y1] = [Math.min(y0, p.yPos), Math.max(y1, p.yPos)];
  }
  return [
    { xPos: x0, yPos: y0 },
    { xPos: x1, yPos: y1 },
  ];
}
