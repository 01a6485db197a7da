"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useParams, useRouter } from "next/navigation";
import { useCallback, useMemo, useState } from "react";
import { Empty, ErrorNote, Loading } from "@/components/ui";
import { WhenVisible } from "@/components/when-visible";
import { useLiveStudy } from "@/lib/live";
import { specObjectives } from "@/lib/plot-objectives";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../../app-shell";
import { BestParamsCard } from "./best-params-card";
import { ContourCard } from "./contour-card";
import { CurvesCard } from "./curves-card";
import { EdfCard } from "./edf-card";
import { HistoryCard, useStudyHistory } from "./history-card";
import { HypervolumeCard } from "./hypervolume-card";
import { ImportanceCard } from "./importance-card";
import { ImprovementCard } from "./improvement-card";
import { PortfolioCard } from "./portfolio-card";
import { PredictedBestCard } from "./predicted-best-card";
import { useObjectiveChoice } from "./objective-select";
import { ParallelCard } from "./parallel-card";
import { ParetoCard } from "./pareto-card";
import { usePlotTrials } from "./plot-card";
import { RankCard } from "./rank-card";
import { SliceCard } from "./slice-card";
import { StudyHeader } from "./study-header";
import { StudyStats } from "./study-stats";
import { withPrimaryObjective, type StudySpecView } from "./study-view";
import { TimelineCard } from "./timeline-card";
import { TrialTable, usePrefetchFirstTrialPage } from "./trial-table";
import { useParallelCoordinates } from "./use-parallel-coordinates";

/** A plot card's usual height (head, 320 px chart, note): what a card not yet mounted holds in the layout. */
const CARD_HEIGHT = 380;

export default function StudyPage() {
  const { studyId } = useParams<{ studyId: string }>();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const { canWrite } = useOrg();
  const [deleted, setDeleted] = useState(false);
  // The history card says when its chart is drawn: the cards below wait for it (and the plots' trials).
  const [historyDrawn, setHistoryDrawn] = useState(false);
  const onHistoryDrawn = useCallback(() => setHistoryDrawn(true), []);
  const { connected } = useLiveStudy(studyId, () => setDeleted(true));

  const study = useQuery(trpc.study.get.queryOptions({ studyId }));
  const history = useStudyHistory(studyId);
  const plotTrials = usePlotTrials(studyId);
  usePrefetchFirstTrialPage(studyId);
  const objectives = useMemo(() => (study.data ? specObjectives(study.data.spec as StudySpecView) : []), [study.data]);
  // The page holds the parallel-coordinates state: its brushes (the objective's axis too) filter the trial table.
  const parallelObjective = useObjectiveChoice(objectives, plotTrials.data?.trials);
  const parallel = useParallelCoordinates(study.data?.spec.space, parallelObjective.trials);
  // A multi-objective study's Pareto trial shown in the best card and registered by "Register best".
  const [paretoPick, setParetoPick] = useState<string | null>(null);
  const project = useQuery({
    ...trpc.project.get.queryOptions({ projectId: study.data?.projectId ?? "" }),
    enabled: Boolean(study.data?.projectId),
  });

  const stop = useMutation(
    trpc.study.stop.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.study.pathFilter()) }),
  );
  const del = useMutation(
    trpc.study.delete.mutationOptions({
      onSuccess: async () => {
        const projectId = study.data?.projectId;
        queryClient.removeQueries(trpc.study.get.queryFilter({ studyId }));
        await queryClient.invalidateQueries(trpc.study.list.pathFilter());
        router.push(projectId ? `/projects/${projectId}` : "/projects");
      },
    }),
  );

  if (deleted && !del.isPending) {
    return (
      <Empty
        title="This study was deleted"
        action={
          <Link href="/projects" className="btn">
            Back to projects
          </Link>
        }
      >
        Someone on your team deleted it while you were looking at it.
      </Empty>
    );
  }
  if (study.isPending) return <Loading />;
  if (study.error) return <ErrorNote error={study.error} />;
  const s = study.data;
  const spec = withPrimaryObjective(s.spec as StudySpecView);
  const pareto = s.best?.pareto ?? null;
  const chosenPareto = pareto
    ? (pareto.find((p) => p.trialId === paretoPick) ?? pareto.find((p) => p.trialId === s.best?.trialId) ?? null)
    : null;
  const multi = objectives.length > 1;
  // What the page draws first: the history, the parallel coordinates and the table (its first page asked for above).
  const firstDrawn = historyDrawn && !plotTrials.isPending;

  return (
    <>
      <StudyHeader
        study={s}
        spec={spec}
        projectName={project.data?.name}
        connected={connected}
        canWrite={canWrite}
        onStop={() => stop.mutate({ studyId })}
        onDelete={() => del.mutate({ studyId })}
        isStopping={stop.isPending}
        isDeleting={del.isPending}
        registerTrial={chosenPareto ?? s.best}
      />
      <ErrorNote error={stop.error ?? del.error} />

      <StudyStats studyId={studyId} study={s} spec={spec} />
      {s.best ? <BestParamsCard best={s.best} objectives={objectives} chosen={chosenPareto} onChoose={setParetoPick} /> : null}
      {!multi && spec.sampler?.noise === true ? <PredictedBestCard studyId={studyId} lowest={s.best} /> : null}
      {multi ? (
        <div className="grid-2" style={{ marginBottom: 16 }}>
          <ParetoCard studyId={studyId} objectives={objectives} best={s.best} query={plotTrials} />
          <HypervolumeCard studyId={studyId} objectives={objectives} />
        </div>
      ) : null}
      <HistoryCard
        studyId={studyId}
        history={history}
        objectives={objectives}
        plotTrials={plotTrials.data?.trials}
        onDrawn={onHistoryDrawn}
      />

      {/* Below the history, cards mount as they scroll into view, once the history and the plots' trials are in. */}
      <WhenVisible height={CARD_HEIGHT} testId="lazy-curves" ready={firstDrawn}>
        <div className="grid-2" style={{ marginBottom: 16 }}>
          <CurvesCard studyId={studyId} />
          <ImportanceCard studyId={studyId} />
        </div>
      </WhenVisible>
      {multi ? null : (
        <WhenVisible height={CARD_HEIGHT} testId="lazy-improvement" ready={firstDrawn}>
          <div className={spec.sampler?.name === "auto" ? "grid-2" : undefined} style={{ marginBottom: 16 }}>
            <ImprovementCard studyId={studyId} />
            {spec.sampler?.name === "auto" ? <PortfolioCard studyId={studyId} /> : null}
          </div>
        </WhenVisible>
      )}
      <WhenVisible height={CARD_HEIGHT} testId="lazy-slice" ready={firstDrawn}>
        <div className="grid-2" style={{ marginBottom: 16 }}>
          <SliceCard studyId={studyId} space={s.spec.space} objectives={objectives} query={plotTrials} />
          <EdfCard studyId={studyId} objectives={objectives} query={plotTrials} />
        </div>
      </WhenVisible>
      <WhenVisible height={CARD_HEIGHT / 2} testId="lazy-timeline" ready={firstDrawn}>
        <div style={{ marginBottom: 16 }}>
          <TimelineCard studyId={studyId} query={plotTrials} />
        </div>
      </WhenVisible>
      <WhenVisible height={CARD_HEIGHT} testId="lazy-contour" ready={firstDrawn}>
        <div style={{ marginBottom: 16 }}>
          <ContourCard studyId={studyId} space={s.spec.space} objectives={objectives} query={plotTrials} />
        </div>
      </WhenVisible>
      <WhenVisible height={CARD_HEIGHT} testId="lazy-rank" ready={firstDrawn}>
        <div style={{ marginBottom: 16 }}>
          <RankCard studyId={studyId} space={s.spec.space} objectives={objectives} query={plotTrials} />
        </div>
      </WhenVisible>
      <div style={{ marginBottom: 16 }}>
        <ParallelCard
          studyId={studyId}
          query={plotTrials}
          state={parallel}
          objectives={objectives}
          objective={parallelObjective}
        />
      </div>

      <TrialTable
        studyId={studyId}
        paramNames={Object.keys(s.spec.space)}
        bestTrialId={s.best?.trialId}
        canStop={canWrite}
        brush={parallel.tableBrush}
      />
    </>
  );
}
