"use client";
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Empty, ErrorNote, Loading } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";

/**
 * The plots' one query, called by the page so it starts alongside the study's; the doorbell's
 * refetch of `study.*` keeps it live. Each card derives its marks from it with useMemo.
 */
export function usePlotTrials(studyId: string) {
  const trpc = useTRPC();
  return useQuery(trpc.study.plotTrials.queryOptions({ studyId }));
}

export type PlotTrialsQuery = ReturnType<typeof usePlotTrials>;

interface PlotCardProps {
  title: string;
  testId: string;
  query: PlotTrialsQuery;
  /** Marks drawn: the e2e test and a reader of the DOM count them here. */
  marks: number;
  controls?: ReactNode;
  /** Grow with the content up to the usual chart height (a timeline with one lane needs 80 px, not 320). */
  fitHeight?: boolean;
  /** A fixed height in px for content that knows its size (the rank plot's rows of panels). */
  height?: number;
  empty: { title: string; text: string };
  children: ReactNode;
}

/** A plot card: title and controls, then loading / error / empty / the chart, and a note when the trials are a sample. */
export function PlotCard({ title, testId, query, marks, controls, fitHeight, height, empty, children }: PlotCardProps) {
  const size = height
    ? { height }
    : fitHeight && marks > 0
      ? { height: "auto", maxHeight: 320, overflowY: "auto" as const }
      : undefined;
  return (
    <div className="card" data-testid={testId} data-marks={marks}>
      <div className="card-head">
        <h2>{title}</h2>
        <div className="toolbar">{controls}</div>
      </div>
      <div className="chart" style={size}>
        {query.isPending ? (
          <Loading />
        ) : query.error ? (
          <div className="card-body">
            <ErrorNote error={query.error} />
          </div>
        ) : marks === 0 ? (
          <Empty title={empty.title}>{empty.text}</Empty>
        ) : (
          children
        )}
      </div>
      {query.data?.truncated ? (
        <div className="card-body faint" style={{ fontSize: 12 }} data-testid={`${testId}-thinned`}>
          Showing {query.data.trials.length.toLocaleString("en")} of {query.data.total.toLocaleString("en")} trials: the best, the
          latest and an even sample of the rest.
        </div>
      ) : null}
    </div>
  );
}

/** A labelled checkbox of a plot's toolbar. */
export function PlotToggle(props: {
  label: string;
  checked: boolean;
  disabled?: boolean;
  title?: string;
  testId: string;
  onChange: (v: boolean) => void;
}) {
  return (
    <label className="checkbox" style={{ margin: 0 }} title={props.title}>
      <input
        type="checkbox"
        checked={props.checked}
        disabled={props.disabled}
        onChange={(e) => props.onChange(e.target.checked)}
        data-testid={props.testId}
      />{" "}
      {props.label}
    </label>
  );
}
