import type { DbHandle } from "@autoglm/db/client";
import { leaseTrialToAgentById, type TAgentLeaseRow, type TLeaseRequest } from "@autoglm/db/queries";
import { studySpecOf, type TStudySpec, type TTrialLease } from "@autoglm/protocol";

export interface LeasedTrial {
  trialId: string;
  orgId: string;
  studyId: string;
  number: number;
  params: TTrialLease["params"];
  attempt: number;
  leaseToken: string;
  leaseExpiresAt: string;
  /** The study's spec as stored, defaults filled (studySpecOf). */
  spec: TStudySpec;
}

/**
 * Leases the oldest waiting trial that fits the agent, in ONE statement (STYLE 8;
 * leaseTrialToAgentById in @autoglm/db's queries: the agent's token may act (S13), its own
 * org and token project (S8), free slots, GPUs, memory and labels, `FOR UPDATE SKIP LOCKED`
 * (R6)). Callers serialise leases per agent (the gateway does, with a promise chain per agent).
 */
export async function leaseTrial(handle: DbHandle, input: TLeaseRequest): Promise<LeasedTrial | null> {
  const row = await leaseTrialToAgentById(handle, input);
  return row ? leasedTrialOf(row) : null;
}

/** A lease statement's row with its study's spec read back (defaults filled). */
export function leasedTrialOf(row: TAgentLeaseRow): LeasedTrial {
  return { ...row, spec: studySpecOf(row.spec) };
}
