"use client";
import { CartesianGrid, ResponsiveContainer, Scatter, ScatterChart, XAxis, YAxis } from "recharts";
import { formatValue } from "@/lib/format";
import { frontLine, type ParetoKind, type ParetoPoint } from "@/lib/pareto-points";
import { objectiveAxisName, type ObjectiveView } from "@/lib/plot-objectives";

interface ParetoChartProps {
  points: ParetoPoint[];
  objectives: ObjectiveView[];
  /** The objectives on x and y (indices into `objectives`). */
  x: number;
  y: number;
  /** Draw the line through the front: only honest for 2 objectives (a 3-objective front is no curve in a pair's plane). */
  line: boolean;
  hover: ParetoPoint | null;
  onHover: (p: ParetoPoint | null) => void;
  onPick: (trialId: string) => void;
}

const DOT_STYLE: Record<ParetoKind, { r: number; fill: string; fillOpacity: number; stroke: string; strokeWidth: number }> = {
  front: { r: 5, fill: "#dc2626", fillOpacity: 1, stroke: "#7f1d1d", strokeWidth: 1.5 },
  dominated: { r: 3.5, fill: "#6366f1", fillOpacity: 0.25, stroke: "none", strokeWidth: 0 },
  infeasible: { r: 3.5, fill: "none", fillOpacity: 0, stroke: "#94a3b8", strokeWidth: 1.5 },
};

/** One objective pair of the Pareto front: the front bold (and joined), dominated trials faded, infeasible ones hollow grey. */
export function ParetoChart({ points, objectives, x, y, line, hover, onHover, onPick }: ParetoChartProps) {
  // The front last, so that its bold dots sit over the faded ones.
  const data = [...points.filter((p) => p.kind !== "front"), ...points.filter((p) => p.kind === "front")].map((p) => ({
    ...p,
    px: p.values[x]!,
    py: p.values[y]!,
  }));
  const front = frontLine(points, x).map((p) => ({ ...p, px: p.values[x]!, py: p.values[y]! }));
  const shape = (props: { cx?: number; cy?: number; payload?: ParetoPoint }) => {
    const p = props.payload;
    if (!p || props.cx === undefined || props.cy === undefined) return <g />;
    const style = DOT_STYLE[p.kind];
    return (
      <circle
        cx={props.cx}
        cy={props.cy}
        r={hover?.trialId === p.trialId ? style.r + 2 : style.r}
        fill={style.fill}
        fillOpacity={style.fillOpacity}
        stroke={style.stroke}
        strokeWidth={style.strokeWidth}
        style={{ cursor: "pointer" }}
        data-testid="pareto-dot"
        data-kind={p.kind}
        data-trial-number={p.number}
        onMouseEnter={() => onHover(p)}
        onMouseLeave={() => onHover(null)}
        onClick={() => onPick(p.trialId)}
      />
    );
  };
  const axis = (i: number) => ({
    type: "number" as const,
    name: objectiveAxisName(objectives[i]!),
    domain: ["auto", "auto"] as [string, string],
    tickFormatter: (v: number) => formatValue(v),
    tick: { fontSize: 12 },
  });
  return (
    <ResponsiveContainer width="100%" height="100%">
      <ScatterChart margin={{ top: 8, right: 16, bottom: 16, left: 16 }}>
        <CartesianGrid stroke="#eef0f3" />
        <XAxis
          dataKey="px"
          {...axis(x)}
          label={{
            value: objectiveAxisName(objectives[x]!),
            position: "insideBottom",
            offset: -10,
            fontSize: 12,
            fill: "#475569",
          }}
        />
        <YAxis
          dataKey="py"
          {...axis(y)}
          width={72}
          label={{ value: objectiveAxisName(objectives[y]!), angle: -90, position: "insideLeft", fontSize: 12, fill: "#475569" }}
        />
        {line ? (
          <Scatter
            data={front}
            line={{ stroke: "#dc2626", strokeWidth: 1.5 }}
            lineType="joint"
            shape={() => <g />}
            isAnimationActive={false}
          />
        ) : null}
        <Scatter data={data} shape={shape} isAnimationActive={false} />
      </ScatterChart>
    </ResponsiveContainer>
  );
}
