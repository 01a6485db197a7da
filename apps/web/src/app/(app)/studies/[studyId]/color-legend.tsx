import { shadeColor } from "@/lib/plot-data";

/** The plots' colour scale as a bar between its two ends' labels. */
export function ColorLegend({ low, high, testId }: { low: string; high: string; testId: string }) {
  const stops = [0, 0.25, 0.5, 0.75, 1].map((s) => `${shadeColor(s)} ${s * 100}%`).join(", ");
  return (
    <span className="muted" style={{ fontSize: 12, display: "inline-flex", alignItems: "center", gap: 4 }} data-testid={testId}>
      <span data-testid={`${testId}-low`}>{low}</span>
      <span
        aria-hidden
        style={{
          display: "inline-block",
          width: 64,
          height: 8,
          borderRadius: 2,
          background: `linear-gradient(to right, ${stops})`,
        }}
      />
      <span data-testid={`${testId}-high`}>{high}</span>
    </span>
  );
}
