import {
  enqueueWebhookEvent,
  moveModelAliasByModelId,
  recordAliasRevisions,
  writeAudit,
  type Actor,
  type DbOrTx,
  type TModelRow,
} from "@autoglm/db/queries";
import { modelEventLinks } from "./events.js";

/**
 * In the transaction that locked the model: points `alias` at the version, with its audit row
 * (`model.alias.move`, from and to versions) and the `model_alias.moved` webhook event. A move
 * to the version the alias already names changes nothing and records nothing.
 */
export async function moveAliasInTx(
  tx: DbOrTx,
  caller: { scope: { orgId: string }; actor: Actor },
  input: { model: TModelRow; alias: string; versionId: string; version: number; digest: string },
): Promise<{ from: number | null; moved: boolean }> {
  const orgId = caller.scope.orgId;
  const from = await moveModelAliasByModelId(tx, {
    orgId,
    modelId: input.model.id,
    alias: input.alias,
    versionId: input.versionId,
  });
  if (from === input.version) return { from, moved: false };
  // Endpoints following the alias move with it: their history records who moved it.
  await recordAliasRevisions(tx, caller.scope, {
    modelId: input.model.id,
    alias: input.alias,
    versionId: input.versionId,
    userId: caller.actor.userId,
  });
  await writeAudit(tx, {
    orgId,
    actor: caller.actor,
    action: "model.alias.move",
    targetType: "model",
    targetId: input.model.id,
    details: { model: input.model.name, alias: input.alias, from, to: input.version },
  });
  const links = modelEventLinks({ name: input.model.name, version: input.version, studyId: null, trialId: null });
  await enqueueWebhookEvent(tx, {
    orgId,
    event: "model_alias.moved",
    data: {
      model: input.model.name,
      alias: input.alias,
      from_version: from,
      to_version: input.version,
      digest: input.digest,
      uri: `models:/${input.model.name}@${input.alias}`,
      version_uri: links.uri,
      links: links.paths,
    },
  });
  return { from, moved: true };
}
