"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { userMessageOf } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";
import { ConfirmButton } from "./ui";

/**
 * Stops one running (or queued) trial through `trial.stop`: an agent's process gets SIGTERM
 * (SIGKILL after its grace); an ask/tell trial is marked failed. Asks once, inline.
 */
export function StopTrialButton({ trialId, number, compact }: { trialId: string; number: number; compact?: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const stop = useMutation(
    trpc.trial.stop.mutationOptions({
      onSettled: async () => {
        await queryClient.invalidateQueries(trpc.trial.pathFilter());
        await queryClient.invalidateQueries(trpc.study.pathFilter());
        await queryClient.invalidateQueries(trpc.agent.pathFilter());
      },
    }),
  );
  return (
    <span className="row" style={{ gap: 6, display: "inline-flex" }} data-testid="stop-trial-box" data-trial-number={number}>
      <ConfirmButton
        label={compact ? "Stop" : "Stop trial"}
        confirmLabel="Stop"
        question={`Stop trial #${number}?`}
        onConfirm={() => stop.mutate({ trialId })}
        pending={stop.isPending}
        testId="stop-trial"
      />
      {stop.error ? (
        <span className="faint" role="alert" data-testid="stop-trial-error" style={{ color: "var(--danger)", fontSize: 12 }}>
          {userMessageOf(stop.error)}
        </span>
      ) : null}
    </span>
  );
}
