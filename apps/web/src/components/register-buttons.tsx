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

/** "Register best" on a study page: the study's best trial, disabled with the reason when there is none or it has no files. */
export function RegisterBestButton({ best, studyName }: { best: { trialId: string; number: number } | null; studyName: string }) {
  const trpc = useTRPC();
  const artifacts = useQuery({ ...trpc.trial.artifacts.queryOptions({ trialId: best?.trialId ?? "" }), enabled: Boolean(best) });
  const reason = !best
    ? "No trial has finished with a value yet, so there is no best trial to register."
    : artifacts.isPending
      ? "Checking the best trial's files…"
      : artifacts.error
        ? "The best trial's files could not be listed; reload to try again."
        : artifacts.data.length === 0
          ? `The best trial (#${best.number}) uploaded no files; a model is made of a trial's files.`
          : null;
  return (
    <RegisterModelButton
      trialId={best?.trialId}
      label="Register best"
      disabledReason={reason}
      defaultName={suggestModelName(studyName)}
      testId="register-best"
    />
  );
}
