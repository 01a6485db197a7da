"use client";
import { useRouter } from "next/navigation";

/** Navigates to one of the study's trials: what a click on a plot's mark or a table row does. */
export function useOpenTrial(studyId: string): (trialId: string) => void {
  const router = useRouter();
  return (trialId: string) => router.push(`/studies/${studyId}/trials/${trialId}`);
}
