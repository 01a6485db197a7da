export {
  artifactKey,
  artifactPrefix,
  checkKey,
  checkRelativeName,
  MAX_NAME_BYTES,
  MAX_SEGMENT_BYTES,
  type TArtifactOwner,
} from "./artifact-key.js";
export { ArtifactStoreError, type TArtifactErrorCode } from "./errors.js";
export { LocalDirStore } from "./local-dir-store.js";
export { openArtifactStore, parseArtifactStoreSpec, type TArtifactStoreSpec, type TS3Settings } from "./open-artifact-store.js";
export { S3Store, type S3StoreOptions } from "./s3-store.js";
export type { ArtifactStore, TArtifactStat, TByteRange, TPutOptions, TPutResult } from "./store.js";
