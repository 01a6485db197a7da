import type { Readable } from "node:stream";

/**
 * What the api needs of the artifact store (`@autoglm/artifacts`' ArtifactStore satisfies it):
 * reading an object's bytes as a stream. The host passes its store; the api never imports the
 * store's package (the package graph keeps it a sibling, tooling/eslint/graph.js).
 */
export interface TArtifactReader {
  /** The object's bytes; rejects with an error whose `code` is NOT_FOUND when there is none. */
  get(key: string): Promise<Readable>;
}
