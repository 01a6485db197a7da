"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { userMessageOf } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

/**
 * "Re-run with these params": enqueues a trial with this trial's params (`trial.enqueue`), so
 * the study's next ask or agent lease runs them again, and links to the new trial.
 */
export function RerunTrialButton({
  studyId,
  params,
}: {
  studyId: string;
  params: Record<string, string | number | boolean | null>;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const enqueue = useMutation(
    trpc.trial.enqueue.mutationOptions({
      onSettled: async () => {
        await queryClient.invalidateQueries(trpc.trial.pathFilter());
        await queryClient.invalidateQueries(trpc.study.pathFilter());
      },
    }),
  );
  // Inactive conditional params are absent, never null, in stored params; drop nulls defensively.
  const given = Object.fromEntries(Object.entries(params).filter((e): e is [string, string | number | boolean] => e[1] !== null));
  return (
    <span className="row" style={{ gap: 6, display: "inline-flex" }} data-testid="rerun-trial-box">
      <button
        type="button"
        className="btn"
        data-testid="rerun-trial"
        disabled={enqueue.isPending}
        onClick={() => enqueue.mutate({ studyId, params: given })}
      >
        Re-run with these params
      </button>
      {enqueue.data ? (
        <Link href={`/studies/${studyId}/trials/${enqueue.data.trialId}`} data-testid="rerun-trial-link">
          Trial #{enqueue.data.number} enqueued
        </Link>
      ) : null}
      {enqueue.error ? (
        <span className="faint" role="alert" data-testid="rerun-trial-error" style={{ color: "var(--danger)", fontSize: 12 }}>
          {userMessageOf(enqueue.error)}
        </span>
      ) : null}
    </span>
  );
}

/** How a trial came to be: a badge for trials a user enqueued, else the sampler that proposed it (auto's member). */
export function ProposedByBadge({ proposedBy }: { proposedBy: string | null }) {
  if (proposedBy === null) return null;
  if (proposedBy !== "enqueued")
    return (
      <span
        className="muted mono"
        style={{ fontSize: 11 }}
        data-testid="proposed-by"
        title="The sampler that proposed these params"
      >
        {proposedBy}
      </span>
    );
  return (
    <span className="badge badge-waiting" data-testid="enqueued-badge" title="A user fixed these params (trial enqueue)">
      enqueued
    </span>
  );
}
