"use client";
import { useQuery } from "@tanstack/react-query";
import { RegisterModelButton } from "@/components/register-model-dialog";
import { suggestModelName } from "@/lib/model-view";
import { useTRPC } from "@/lib/trpc";

/** "Register model" on a trial page: shown only once the trial has uploaded files (nothing else can be registered). */
export function RegisterTrialButton({ trialId, studyName }: { trialId: string; studyName: string | undefined }) {
  const trpc = useTRPC();
  const artifacts = useQuery(trpc.trial.artifacts.queryOptions({ trialId }));
  if (!artifacts.data?.length) return null;
  return (
    <RegisterModelButton
      trialId={trialId}
      label="Register model"
      disabledReason={null}
      defaultName={suggestModelName(studyName)}
      testId="register-model"
    />
  );
}

/**
 * "Register best" on a study page: the study's best trial (or, multi-objective, the Pareto trial
 * chosen on the page), disabled with the reason when there is none or it has no files.
 */
export function RegisterBestButton(props: {
  best: { trialId: string; number: number } | null;
  studyName: string;
  pareto?: boolean;
}) {
  const { best, studyName } = props;
  const which = props.pareto ? "chosen Pareto trial" : "best trial";
  const trpc = useTRPC();
  const artifacts = useQuery({ ...trpc.trial.artifacts.queryOptions({ trialId: best?.trialId ?? "" }), enabled: Boolean(best) });
  const reason = !best
    ? "No trial has finished with a value yet, so there is no best trial to register."
    : artifacts.isPending
      ? `Checking the ${which}'s files…`
      : artifacts.error
        ? `The ${which}'s files could not be listed; reload to try again.`
        : artifacts.data.length === 0
          ? `The ${which} (#${best.number}) uploaded no files; a model is made of a trial's files.`
          : null;
  return (
    <RegisterModelButton
      trialId={best?.trialId}
      label={props.pareto ? `Register Pareto trial #${best?.number ?? ""}` : "Register best"}
      disabledReason={reason}
      defaultName={suggestModelName(studyName)}
      testId="register-best"
    />
  );
}
