import {
  findAliasVersion,
  findModelByName,
  findModelVersion,
  listModelVersions,
  type DbOrTx,
  type TenantScope,
  type TModelRow,
  type TModelVersionRow,
} from "@autoglm/db/queries";
import { AppError, notFound } from "../errors.js";
import type { TModelRef } from "./references.js";

/**
 * The version a reference names, in scope: another team's model answers exactly like a
 * missing one (S1). A deleted version, an alias or a model with no live version say so.
 */
export async function resolveModelRef(
  db: DbOrTx,
  scope: TenantScope,
  ref: TModelRef,
): Promise<{ model: TModelRow; version: TModelVersionRow }> {
  const model = await findModelByName(db, scope, ref.name);
  if (!model) throw notFound("Model");
  let number: number | null;
  if ("version" in ref) number = ref.version;
  else if ("alias" in ref) {
    number = await findAliasVersion(db, scope, { modelId: model.id, alias: ref.alias });
    if (number === null) {
      throw new AppError("NOT_FOUND", { userMessage: `Model "${model.name}" has no alias "${ref.alias}".` });
    }
  } else {
    const live = (await listModelVersions(db, scope, model.id)).filter((v) => !v.deletedAt);
    const latest = live.at(-1);
    if (!latest) throw new AppError("NOT_FOUND", { userMessage: `Model "${model.name}" has no versions.` });
    return { model, version: latest };
  }
  const version = await findModelVersion(db, scope, { modelId: model.id, version: number });
  if (!version) throw new AppError("NOT_FOUND", { userMessage: `Model "${model.name}" has no version ${number}.` });
  if (version.deletedAt)
    throw new AppError("NOT_FOUND", { userMessage: `Version ${number} of model "${model.name}" was deleted.` });
  return { model, version };
}
