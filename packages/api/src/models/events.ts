import { versionUri } from "./references.js";

/**
 * The links a model event carries, as paths on the platform (the webhook sender prefixes the
 * public URL): the model's and the version's pages, the study's and the trial's.
 */
export function modelEventLinks(input: { name: string; version: number; studyId: string | null; trialId: string | null }) {
  const model = `/models/${encodeURIComponent(input.name)}`;
  return {
    uri: versionUri(input.name, input.version),
    paths: {
      model,
      version: `${model}/versions/${input.version}`,
      ...(input.studyId ? { study: `/studies/${input.studyId}` } : {}),
      ...(input.studyId && input.trialId ? { trial: `/studies/${input.studyId}/trials/${input.trialId}` } : {}),
    },
  };
}
