import { randomId, SPEC, type Team } from "./fixture.js";

/** One case per procedure (S1, S5, S7 share it); a procedure without one fails S1. */
export type Kind =
  | "public" // no credentials needed
  | "self" // acts on the caller's own account, no team
  | "team"; // needs a team (orgProcedure)

export interface Case {
  kind: Kind;
  /** Input naming the OTHER team's objects (t = victim team). */
  input: (t: Team) => unknown;
  /** Same shape with ids that exist nowhere. */
  missing?: () => unknown;
}

const none = () => undefined;
export const cases: Record<string, Case> = {
  "auth.signUp": { kind: "public", input: () => ({ email: `x${randomId().slice(0, 8)}@x.test`, password: "short", name: "X" }) },
  "auth.me": { kind: "self", input: none },
  "auth.changePassword": { kind: "self", input: () => ({ currentPassword: "wrong-password", newPassword: "new-password-123" }) },
  "auth.signOutEverywhere": { kind: "self", input: none },
  "auth.deactivate": { kind: "self", input: () => ({ password: "wrong-password" }) },
  "org.list": { kind: "self", input: none },
  "org.create": { kind: "self", input: () => ({ name: "" }) },
  "org.members": { kind: "team", input: none },
  "org.updateMember": {
    kind: "team",
    input: (t) => ({ userId: t.ownerId, role: "viewer" }),
    missing: () => ({ userId: randomId(), role: "viewer" }),
  },
  "org.removeMember": { kind: "team", input: (t) => ({ userId: t.ownerId }), missing: () => ({ userId: randomId() }) },
  "org.invite": { kind: "team", input: () => ({ role: "member" }) },
  "org.invitations": { kind: "team", input: none },
  "org.revokeInvite": { kind: "team", input: (t) => ({ id: t.inviteId }), missing: () => ({ id: randomId() }) },
  "org.inviteInfo": { kind: "public", input: () => ({ secret: "not-a-secret" }) },
  "org.acceptInvite": { kind: "self", input: () => ({ secret: "not-a-secret" }) },
  "org.ssoMappings": { kind: "team", input: none },
  "org.setSsoMappings": { kind: "team", input: () => ({ mappings: [{ kind: "group", value: "intruders", role: "admin" }] }) },
  "project.list": { kind: "team", input: none },
  "project.create": { kind: "team", input: () => ({ name: `p-${randomId().slice(0, 6)}` }) },
  "project.get": { kind: "team", input: (t) => ({ projectId: t.projectId }), missing: () => ({ projectId: randomId() }) },
  "study.create": {
    kind: "team",
    input: (t) => ({ projectId: t.projectId, spec: SPEC }),
    missing: () => ({ projectId: randomId(), spec: SPEC }),
  },
  "study.applySpec": {
    kind: "team",
    input: (t) => ({ projectId: t.projectId, spec: SPEC }),
    missing: () => ({ projectId: randomId(), spec: SPEC }),
  },
  "study.list": { kind: "team", input: (t) => ({ projectId: t.projectId }), missing: () => ({ projectId: randomId() }) },
  "study.get": { kind: "team", input: (t) => ({ studyId: t.studyId }), missing: () => ({ studyId: randomId() }) },
  "study.best": { kind: "team", input: (t) => ({ studyId: t.studyId }), missing: () => ({ studyId: randomId() }) },
  "study.history": { kind: "team", input: (t) => ({ studyId: t.studyId }), missing: () => ({ studyId: randomId() }) },
  "study.curves": { kind: "team", input: (t) => ({ studyId: t.studyId }), missing: () => ({ studyId: randomId() }) },
  "study.importance": { kind: "team", input: (t) => ({ studyId: t.studyId }), missing: () => ({ studyId: randomId() }) },
  "study.improvement": { kind: "team", input: (t) => ({ studyId: t.studyId }), missing: () => ({ studyId: randomId() }) },
  "study.hypervolume": { kind: "team", input: (t) => ({ studyId: t.studyId }), missing: () => ({ studyId: randomId() }) },
  "study.portfolio": { kind: "team", input: (t) => ({ studyId: t.studyId }), missing: () => ({ studyId: randomId() }) },
  "study.bestPredicted": { kind: "team", input: (t) => ({ studyId: t.studyId }), missing: () => ({ studyId: randomId() }) },
  "study.plotTrials": { kind: "team", input: (t) => ({ studyId: t.studyId }), missing: () => ({ studyId: randomId() }) },
  "study.warmStart": { kind: "team", input: (t) => ({ studyId: t.studyId }), missing: () => ({ studyId: randomId() }) },
  "study.stop": { kind: "team", input: (t) => ({ studyId: t.studyId }), missing: () => ({ studyId: randomId() }) },
  "study.delete": { kind: "team", input: (t) => ({ studyId: t.studyId }), missing: () => ({ studyId: randomId() }) },
  "trial.list": { kind: "team", input: (t) => ({ studyId: t.studyId }), missing: () => ({ studyId: randomId() }) },
  "trial.get": { kind: "team", input: (t) => ({ trialId: t.completeTrialId }), missing: () => ({ trialId: randomId() }) },
  "trial.ask": { kind: "team", input: (t) => ({ studyId: t.studyId }), missing: () => ({ studyId: randomId() }) },
  "trial.enqueue": {
    kind: "team",
    input: (t) => ({ studyId: t.studyId, params: { x: 1, act: "relu" } }),
    missing: () => ({ studyId: randomId(), params: { x: 1, act: "relu" } }),
  },
  "trial.report": {
    kind: "team",
    input: (t) => ({ trialId: t.runningTrialId, step: 1, value: 1 }),
    missing: () => ({ trialId: randomId(), step: 1, value: 1 }),
  },
  "trial.renewLease": { kind: "team", input: (t) => ({ trialId: t.runningTrialId }), missing: () => ({ trialId: randomId() }) },
  "trial.tell": {
    kind: "team",
    input: (t) => ({ trialId: t.runningTrialId, value: 0.5 }),
    missing: () => ({ trialId: randomId(), value: 0.5 }),
  },
  "trial.stop": { kind: "team", input: (t) => ({ trialId: t.runningTrialId }), missing: () => ({ trialId: randomId() }) },
  "trial.artifacts": { kind: "team", input: (t) => ({ trialId: t.completeTrialId }), missing: () => ({ trialId: randomId() }) },
  "agent.list": { kind: "team", input: none },
  "token.create": {
    kind: "team",
    input: (t) => ({ name: "x", scopes: ["read"], projectId: t.projectId }),
    missing: () => ({ name: "x", scopes: ["read"], projectId: randomId() }),
  },
  "token.list": { kind: "team", input: none },
  "token.revoke": { kind: "team", input: (t) => ({ id: t.tokenId }), missing: () => ({ id: randomId() }) },
  "audit.list": { kind: "team", input: none },
  "webhook.list": { kind: "team", input: none },
  "webhook.create": { kind: "team", input: () => ({ url: "https://93.184.215.14/intruder", events: ["study.completed"] }) },
  "webhook.delete": { kind: "team", input: (t) => ({ id: t.webhookId }), missing: () => ({ id: randomId() }) },
  "webhook.deliveries": {
    kind: "team",
    input: (t) => ({ webhookId: t.webhookId }),
    missing: () => ({ webhookId: randomId() }),
  },
  "webhook.redeliver": {
    kind: "team",
    input: (t) => ({ deliveryId: t.webhookDeliveryId }),
    missing: () => ({ deliveryId: randomId() }),
  },
  "model.list": { kind: "team", input: none },
  "model.get": { kind: "team", input: (t) => ({ name: t.modelName }), missing: () => ({ name: missingModel() }) },
  "model.register": {
    kind: "team",
    input: (t) => ({ trialId: t.completeTrialId, name: t.modelName }),
    missing: () => ({ trialId: randomId(), name: missingModel() }),
  },
  "model.setAlias": {
    kind: "team",
    input: (t) => ({ name: t.modelName, alias: "production", version: 1 }),
    missing: () => ({ name: missingModel(), alias: "production", version: 1 }),
  },
  "model.removeAlias": {
    kind: "team",
    input: (t) => ({ name: t.modelName, alias: "champion" }),
    missing: () => ({ name: missingModel(), alias: "champion" }),
  },
  "model.deleteVersion": {
    kind: "team",
    input: (t) => ({ name: t.modelName, version: 1 }),
    missing: () => ({ name: missingModel(), version: 1 }),
  },
  "model.resolve": {
    kind: "team",
    input: (t) => ({ ref: `models:/${t.modelName}@champion` }),
    missing: () => ({ ref: `models:/${missingModel()}@champion` }),
  },
  "model.compare": {
    kind: "team",
    input: (t) => ({ a: `${t.modelName}/1`, b: `models:/${t.modelName}@champion` }),
    missing: () => ({ a: `${missingModel()}/1`, b: `models:/${missingModel()}@champion` }),
  },
  "model.update": {
    kind: "team",
    input: (t) => ({ name: t.modelName, tags: ["s1"] }),
    missing: () => ({ name: missingModel(), tags: ["s1"] }),
  },
  "endpoint.list": { kind: "team", input: none },
  "endpoint.get": { kind: "team", input: (t) => ({ name: t.endpointName }), missing: () => ({ name: missingModel() }) },
  "endpoint.create": {
    kind: "team",
    input: (t) => ({ name: `ep-${randomId().slice(0, 8)}`, model: t.modelName, alias: "champion" }),
    missing: () => ({ name: `ep-${randomId().slice(0, 8)}`, model: missingModel(), alias: "champion" }),
  },
  "endpoint.update": {
    kind: "team",
    input: (t) => ({ name: t.endpointName, minReplicas: 0 }),
    missing: () => ({ name: missingModel(), minReplicas: 0 }),
  },
  "endpoint.delete": { kind: "team", input: (t) => ({ name: t.endpointName }), missing: () => ({ name: missingModel() }) },
  "endpoint.keyCreate": {
    kind: "team",
    input: (t) => ({ endpoint: t.endpointName }),
    missing: () => ({ endpoint: missingModel() }),
  },
  "endpoint.keyRevoke": {
    kind: "team",
    input: (t) => ({ endpoint: t.endpointName, keyId: t.endpointKeyId }),
    missing: () => ({ endpoint: missingModel(), keyId: randomId() }),
  },
  "endpoint.deploy": { kind: "team", input: (t) => ({ studyId: t.studyId }), missing: () => ({ studyId: randomId() }) },
};

/** A model name no team has. */
function missingModel(): string {
  return `missing-${randomId().slice(0, 8)}`;
}
