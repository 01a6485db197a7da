import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { router } from "./trpc.js";
import { signUp } from "./procedures/auth/sign-up.js";
import { getMe } from "./procedures/auth/get-me.js";
import { changePassword } from "./procedures/auth/change-password.js";
import { signOutEverywhere } from "./procedures/auth/sign-out-everywhere.js";
import { deactivateAccount } from "./procedures/auth/deactivate-account.js";
import { listOrgs } from "./procedures/org/list-orgs.js";
import { createOrg } from "./procedures/org/create-org.js";
import { listMembers } from "./procedures/org/list-members.js";
import { updateMember } from "./procedures/org/update-member.js";
import { removeMember } from "./procedures/org/remove-member.js";
import { createInvite } from "./procedures/org/create-invite.js";
import { listInvitations } from "./procedures/org/list-invitations.js";
import { revokeInvite } from "./procedures/org/revoke-invite.js";
import { getInviteInfo } from "./procedures/org/get-invite-info.js";
import { acceptInvite } from "./procedures/org/accept-invite.js";
import { listSsoMappings } from "./procedures/org/list-sso-mappings.js";
import { setSsoMappings } from "./procedures/org/set-sso-mappings.js";
import { listProjects } from "./procedures/project/list-projects.js";
import { createProject } from "./procedures/project/create-project.js";
import { getProject } from "./procedures/project/get-project.js";
import { createStudy } from "./procedures/study/create-study.js";
import { applyStudy } from "./procedures/study/apply-study.js";
import { listStudies } from "./procedures/study/list-studies.js";
import { getStudy } from "./procedures/study/get-study.js";
import { getBest } from "./procedures/study/get-best.js";
import { getHistory } from "./procedures/study/get-history.js";
import { getPlotTrials } from "./procedures/study/get-plot-trials.js";
import { getWarmStart } from "./procedures/study/warm-start.js";
import { getCurves } from "./procedures/study/get-curves.js";
import { getImportance } from "./procedures/study/get-importance.js";
import { getImprovement } from "./procedures/study/get-improvement.js";
import { getPortfolio } from "./procedures/study/get-portfolio.js";
import { getBestPredicted } from "./procedures/study/get-best-predicted.js";
import { getHypervolume } from "./procedures/study/get-hypervolume.js";
import { stopStudy } from "./procedures/study/stop-study.js";
import { deleteStudy } from "./procedures/study/delete-study.js";
import { listTrials } from "./procedures/trial/list-trials.js";
import { getTrial } from "./procedures/trial/get-trial.js";
import { askTrial } from "./procedures/trial/ask-trial.js";
import { enqueueTrial } from "./procedures/trial/enqueue-trial.js";
import { reportTrial } from "./procedures/trial/report-trial.js";
import { tellTrial } from "./procedures/trial/tell-trial.js";
import { renewLease } from "./procedures/trial/renew-lease.js";
import { stopTrial } from "./procedures/trial/stop-trial.js";
import { listArtifacts } from "./procedures/trial/trial-artifacts.js";
import { listAgents } from "./procedures/agent/list-agents.js";
import { createToken } from "./procedures/token/create-token.js";
import { listTokens } from "./procedures/token/list-tokens.js";
import { revokeToken } from "./procedures/token/revoke-token.js";
import { listAudit } from "./procedures/audit/list-audit.js";
import { listModels } from "./procedures/model/list-models.js";
import { getModel } from "./procedures/model/get-model.js";
import { registerModel } from "./procedures/model/register-model.js";
import { setModelAlias } from "./procedures/model/set-model-alias.js";
import { removeModelAlias } from "./procedures/model/remove-model-alias.js";
import { deleteModelVersion } from "./procedures/model/delete-model-version.js";
import { resolveModel } from "./procedures/model/resolve-model.js";
import { compareModelVersions } from "./procedures/model/compare-model-versions.js";
import { updateModel } from "./procedures/model/update-model.js";
import { listWebhooks } from "./procedures/webhook/list-webhooks.js";
import { createWebhook } from "./procedures/webhook/create-webhook.js";
import { deleteWebhook } from "./procedures/webhook/delete-webhook.js";
import { listWebhookDeliveries } from "./procedures/webhook/list-webhook-deliveries.js";
import { redeliverWebhook } from "./procedures/webhook/redeliver-webhook.js";
import { listEndpoints } from "./procedures/endpoint/list-endpoints.js";
import { getEndpoint } from "./procedures/endpoint/get-endpoint.js";
import { createEndpoint } from "./procedures/endpoint/create-endpoint.js";
import { updateEndpoint } from "./procedures/endpoint/update-endpoint.js";
import { deleteEndpoint } from "./procedures/endpoint/delete-endpoint.js";
import { createEndpointKey } from "./procedures/endpoint/create-endpoint-key.js";
import { revokeEndpointKey } from "./procedures/endpoint/revoke-endpoint-key.js";
import { deployEndpoint } from "./procedures/endpoint/deploy-endpoint.js";

/** The wire names are CONTRACT.md's; the files are verb-noun. */
export const appRouter = router({
  auth: router({
    signUp,
    me: getMe,
    changePassword,
    signOutEverywhere,
    deactivate: deactivateAccount,
  }),
  org: router({
    list: listOrgs,
    create: createOrg,
    members: listMembers,
    updateMember,
    removeMember,
    invite: createInvite,
    invitations: listInvitations,
    revokeInvite,
    inviteInfo: getInviteInfo,
    acceptInvite,
    ssoMappings: listSsoMappings,
    setSsoMappings,
  }),
  project: router({ list: listProjects, create: createProject, get: getProject }),
  study: router({
    create: createStudy,
    applySpec: applyStudy,
    list: listStudies,
    get: getStudy,
    best: getBest,
    bestPredicted: getBestPredicted,
    history: getHistory,
    curves: getCurves,
    importance: getImportance,
    improvement: getImprovement,
    portfolio: getPortfolio,
    hypervolume: getHypervolume,
    plotTrials: getPlotTrials,
    warmStart: getWarmStart,
    stop: stopStudy,
    delete: deleteStudy,
  }),
  trial: router({
    list: listTrials,
    get: getTrial,
    ask: askTrial,
    enqueue: enqueueTrial,
    report: reportTrial,
    renewLease,
    tell: tellTrial,
    stop: stopTrial,
    artifacts: listArtifacts,
  }),
  agent: router({ list: listAgents }),
  token: router({ create: createToken, list: listTokens, revoke: revokeToken }),
  audit: router({ list: listAudit }),
  webhook: router({
    list: listWebhooks,
    create: createWebhook,
    delete: deleteWebhook,
    deliveries: listWebhookDeliveries,
    redeliver: redeliverWebhook,
  }),
  model: router({
    list: listModels,
    get: getModel,
    register: registerModel,
    setAlias: setModelAlias,
    removeAlias: removeModelAlias,
    deleteVersion: deleteModelVersion,
    resolve: resolveModel,
    compare: compareModelVersions,
    update: updateModel,
  }),
  endpoint: router({
    list: listEndpoints,
    get: getEndpoint,
    create: createEndpoint,
    update: updateEndpoint,
    delete: deleteEndpoint,
    keyCreate: createEndpointKey,
    keyRevoke: revokeEndpointKey,
    deploy: deployEndpoint,
  }),
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
