"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/lib/trpc";

/** "warm-started from <study> (N trials)" in a study's header when its spec has `warm_start`. */
export function WarmStartNote({ studyId }: { studyId: string }) {
  const trpc = useTRPC();
  const warm = useQuery(trpc.study.warmStart.queryOptions({ studyId }));
  const w = warm.data;
  if (!w) return null;
  const skipped = w.skipped > 0 ? `; ${w.skipped} outside this space skipped` : "";
  return (
    <span data-testid="warm-start-note">
      {" "}
      · warm-started from {w.source ? <Link href={`/studies/${w.source.id}`}>{w.source.name}</Link> : "a study no longer there"} (
      {w.trials} {w.trials === 1 ? "trial" : "trials"}
      {skipped})
    </span>
  );
}
