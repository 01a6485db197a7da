import { hasPlottedValue, type ParamAxis, type PlotTrial } from "./plot-data";

/**
 * Where a parameter's value sits on a two-parameter plot: log10 of it on a log axis, its
 * category's index on a categorical one; null when it has no place there (missing, not a
 * number on a numeric axis, <= 0 on a log axis, an unknown category).
 */
export function axisPosition(axis: ParamAxis, raw: unknown, log: boolean): number | null {
  if (raw === undefined || raw === null) return null;
  if (axis.kind === "categorical") {
    const i = axis.categories.indexOf(String(raw));
    return i < 0 ? null : i;
  }
  if (typeof raw !== "number" || !Number.isFinite(raw)) return null;
  if (!log) return raw;
  return raw > 0 ? Math.log10(raw) : null;
}

/** A plot axis in position units: its extent and the cells the contour splits it into. */
export interface GridAxis {
  domain: [number, number];
  /** Cells along the axis: one per category on a categorical axis. */
  cells: number;
}

/** A contour cell's centre in position units and the objective interpolated there. */
export interface ContourCell {
  x: number;
  y: number;
  value: number;
}

export interface ContourPoint {
  trialId: string;
  number: number;
  state: string;
  /** The parameters' values as the trial has them. */
  x: string | number | boolean;
  y: string | number | boolean;
  /** Positions on the plot (see axisPosition). */
  xPos: number;
  yPos: number;
  value: number;
}

export interface ContourData {
  points: ContourPoint[];
  cells: ContourCell[];
  x: GridAxis;
  y: GridAxis;
  /** The objective's range over the drawn trials; the interpolation never leaves it. */
  range: [number, number] | null;
}

/**
 * 40 × 40 cells are 12–30 px each on a card 500–1,300 px wide, which reads as a surface; and
 * 1,600 cells × 2,000 trials is 3.2 M distance terms, about 10 ms of JavaScript.
 */
export const CONTOUR_GRID = 40;

const EDGE_PAD = 0.03;

/** Closer than this (in normalized units) a sample is on the grid point: its value, not a weight. */
const COINCIDENT = 1e-9;

export interface IdwSample {
  /** Normalized coordinates, both in [0, 1]. */
  u: number;
  v: number;
  value: number;
}

/**
 * Inverse-distance weighting with power 3. Chosen over a Gaussian RBF because it interpolates
 * (a sample's own cell shows its value), never leaves the samples' range (so the colour legend
 * is the data's), has no length-scale to tune and costs O(cells × samples) instead of an
 * O(n³) solve (2,000³ is 8·10⁹). Power 3 rather than Shepard's 2: in two dimensions the summed
 * weight of far samples grows like the log of their count when the power is <= 2, so the
 * surface would drift toward the global mean between close samples.
 *
 * The surface at each (us[i], vs[j]), row-major by v: out[j * us.length + i].
 */
export function interpolateIdw(samples: readonly IdwSample[], us: readonly number[], vs: readonly number[]): Float64Array {
  const out = new Float64Array(us.length * vs.length);
  if (samples.length === 0) return out.fill(Number.NaN);
  // Typed columns: the inner loop runs cells × samples times (3.2 M), and flat arrays keep it a few ms.
  const su = Float64Array.from(samples, (s) => s.u);
  const sv = Float64Array.from(samples, (s) => s.v);
  const sz = Float64Array.from(samples, (s) => s.value);
  for (let j = 0; j < vs.length; j++) {
    const v = vs[j]!;
    for (let i = 0; i < us.length; i++) {
      const u = us[i]!;
      let weights = 0;
      let sum = 0;
      let onSample = 0;
      let onSampleSum = 0;
      for (let k = 0; k < su.length; k++) {
        const du = su[k]! - u;
        const dv = sv[k]! - v;
        const d2 = du * du + dv * dv;
        if (d2 < COINCIDENT) {
          onSample += 1;
          onSampleSum += sz[k]!;
        } else {
          const w = 1 / (d2 * Math.sqrt(d2)); // distance^-3
          weights += w;
          sum += w * sz[k]!;
        }
      }
      // Samples on the same spot (two trials in one category pair) share it: their mean.
      out[j * us.length + i] = onSample > 0 ? onSampleSum / onSample : sum / weights;
    }
  }
  return out;
}

function gridAxis(axis: ParamAxis, positions: readonly number[], gridSize: number): GridAxis {
  if (axis.kind === "categorical") return { domain: [-0.5, axis.categories.length - 0.5], cells: axis.categories.length };
  const lo = Math.min(...positions);
  const hi = Math.max(...positions);
  // One distinct value still needs an extent to draw cells on.
  if (!(hi > lo)) return { domain: [lo - 0.5, hi + 0.5], cells: gridSize };
  // 3% beyond the extreme trials on each side, so that their dots are drawn whole, not halved by the plot's edge.
  const pad = (hi - lo) * EDGE_PAD;
  return { domain: [lo - pad, hi + pad], cells: gridSize };
}

/** Cell centres along a grid axis, in position units. */
export function cellCentres(g: GridAxis): number[] {
  const step = (g.domain[1] - g.domain[0]) / g.cells;
  return Array.from({ length: g.cells }, (_, i) => g.domain[0] + (i + 0.5) * step);
}

/**
 * The contour of the objective over two parameters: the drawn trials as points and the
 * objective interpolated (IDW on coordinates normalized to each axis's extent, categories
 * at their index) onto cells. Numeric axes span the trials' values and a little more;
 * categorical ones have a cell per category.
 */
export function contourData(
  trials: readonly PlotTrial[],
  xAxis: ParamAxis,
  yAxis: ParamAxis,
  opts: { logX: boolean; logY: boolean; includePruned: boolean; gridSize?: number },
): ContourData {
  const points: ContourPoint[] = [];
  for (const t of trials) {
    if (!hasPlottedValue(t, opts.includePruned)) continue;
    const x = t.params[xAxis.name];
    const y = t.params[yAxis.name];
    const xPos = axisPosition(xAxis, x, opts.logX);
    const yPos = axisPosition(yAxis, y, opts.logY);
    if (xPos === null || yPos === null || x === undefined || x === null || y === undefined || y === null) continue;
    points.push({ trialId: t.id, number: t.number, state: t.state, x, y, xPos, yPos, value: t.value });
  }
  const size = Math.min(opts.gridSize ?? CONTOUR_GRID, CONTOUR_GRID);
  const x = gridAxis(
    xAxis,
    points.map((p) => p.xPos),
    size,
  );
  const y = gridAxis(
    yAxis,
    points.map((p) => p.yPos),
    size,
  );
  if (points.length === 0) return { points, cells: [], x, y, range: null };

  const norm = (g: GridAxis) => (p: number) => (p - g.domain[0]) / (g.domain[1] - g.domain[0]);
  const [nx, ny] = [norm(x), norm(y)];
  const samples = points.map((p) => ({ u: nx(p.xPos), v: ny(p.yPos), value: p.value }));
  const xs = cellCentres(x);
  const ys = cellCentres(y);
  const grid = interpolateIdw(samples, xs.map(nx), ys.map(ny));
  const cells: ContourCell[] = [];
  ys.forEach((cy, j) => xs.forEach((cx, i) => cells.push({ x: cx, y: cy, value: grid[j * xs.length + i]! })));
  const values = points.map((p) => p.value);
  return { points, cells, x, y, range: [Math.min(...values), Math.max(...values)] };
}
