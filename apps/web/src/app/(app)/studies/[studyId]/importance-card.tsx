"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { useState } from "react";
import { Empty, ErrorNote, Loading } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";
import type { StudySpecView } from "./study-view";

const ImportanceChart = dynamic(() => import("@/components/importance-chart").then((m) => m.ImportanceChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

type TMethod = "fanova" | "ped-anova";

const METHOD_HELP: Record<TMethod, string> = {
  fanova: "fANOVA: each parameter's share of how much the objective varies (random forest over complete trials)",
  "ped-anova": "PED-ANOVA: how much each parameter matters for reaching the best 10% of the values",
};

/**
 * Which parameters the objective depends on, by fANOVA or PED-ANOVA; a multi-objective
 * study picks the objective.
 */
export function ImportanceCard({ studyId }: { studyId: string }) {
  const trpc = useTRPC();
  const [method, setMethod] = useState<TMethod>("fanova");
  const [objective, setObjective] = useState(0);
  // The page has the study already: this reads react-query's cache.
  const study = useQuery(trpc.study.get.queryOptions({ studyId }));
  const objectives = (study.data?.spec as StudySpecView | undefined)?.objectives ?? [];
  const imp = useQuery({
    ...trpc.study.importance.queryOptions({ studyId, objective, method }),
    // The last chart stays up while another method or objective loads.
    placeholderData: keepPreviousData,
  });
  const params = imp.data?.params ?? [];
  return (
    <div className="card">
      <div className="card-head">
        <h2>Parameter importance</h2>
        {imp.data && params.length ? <span className="muted">from {imp.data.basedOn} complete trials</span> : null}
        <span style={{ display: "flex", gap: 8, marginLeft: "auto" }}>
          {objectives.length > 1 ? (
            <select
              aria-label="Objective"
              value={objective}
              onChange={(e) => setObjective(Number(e.target.value))}
              data-testid="importance-objective"
            >
              {objectives.map((o, i) => (
                <option key={i} value={i}>
                  {o.metric ?? `objective ${i + 1}`}
                </option>
              ))}
            </select>
          ) : null}
          <select
            aria-label="Method"
            value={method}
            title={METHOD_HELP[method]}
            onChange={(e) => setMethod(e.target.value as TMethod)}
            data-testid="importance-method"
          >
            <option value="fanova">fANOVA</option>
            <option value="ped-anova">PED-ANOVA</option>
          </select>
        </span>
      </div>
      <div
        className="chart"
        data-testid="importance-chart"
        data-params={params.map((p) => p.name).join(",")}
        data-for={imp.data && !imp.isPlaceholderData ? `${objective}:${method}` : ""}
      >
        {imp.isPending ? (
          <Loading />
        ) : imp.error ? (
          <div className="card-body">
            <ErrorNote error={imp.error} />
          </div>
        ) : params.length === 0 ? (
          <Empty title="Not enough complete trials yet">
            Importance needs {imp.data.minTrials} complete trials ({imp.data.basedOn} so far). {METHOD_HELP[method]}.
          </Empty>
        ) : (
          <ImportanceChart params={params} />
        )}
      </div>
    </div>
  );
}
