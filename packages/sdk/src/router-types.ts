// Type-only: the SDK must never load server code at run time (STYLE §1). `import type`
// is erased by tsc; the lint refuses a value import (tooling/eslint/graph.js).
import type { AppRouter } from "@autoglm/api";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export type StudySummary = RouterOutputs["study"]["list"][number];
export type StudyDetail = RouterOutputs["study"]["get"];
export type StudyBest = RouterOutputs["study"]["best"];
export type AskedTrial = RouterOutputs["trial"]["ask"];
export type TrialDetail = RouterOutputs["trial"]["get"];
export type ProjectSummary = RouterOutputs["project"]["list"][number];
export type AgentSummary = RouterOutputs["agent"]["list"][number];
export type TrialState = "complete" | "failed" | "pruned";
export type ModelSummary = RouterOutputs["model"]["list"][number];
export type ModelDetail = RouterOutputs["model"]["get"];
export type ModelVersion = RouterOutputs["model"]["resolve"];
export type ModelAliasMove = RouterOutputs["model"]["setAlias"];
export type EndpointSummary = RouterOutputs["endpoint"]["list"][number];
export type EndpointDetail = RouterOutputs["endpoint"]["get"];
export type EndpointKey = RouterOutputs["endpoint"]["keyCreate"];
export type DeployResult = RouterOutputs["endpoint"]["deploy"];
