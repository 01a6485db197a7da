import { openArtifactStore, type ArtifactStore, type TS3Settings } from "@autoglm/artifacts";
import type { TServerEnv } from "./env.js";

type TArtifactEnv = Pick<
  TServerEnv,
  | "ARTIFACT_STORE"
  | "AUTOGLM_DATA_DIR"
  | "AWS_ENDPOINT_URL_S3"
  | "AWS_ENDPOINT_URL"
  | "AWS_REGION"
  | "AWS_ACCESS_KEY_ID"
  | "AWS_SECRET_ACCESS_KEY"
  | "AWS_SESSION_TOKEN"
>;

/** The S3 client's settings from the usual AWS variables (the service-specific endpoint first, as the SDK does). */
function s3SettingsOf(env: TArtifactEnv): TS3Settings {
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {}),
  };
}

/**
 * Opens the store ARTIFACT_STORE names and checks it before the server takes any work: a
 * missing bucket or an unwritable directory stops the start with the reason, rather than
 * failing a trial's upload hours later.
 */
export async function openCheckedArtifactStore(env: TArtifactEnv): Promise<ArtifactStore> {
  const store = openArtifactStore(env.ARTIFACT_STORE, env.AUTOGLM_DATA_DIR, s3SettingsOf(env));
  try {
    await store.check();
  } catch (err) {
    await store.close();
    throw new Error(`The artifact store (ARTIFACT_STORE) failed its start-up check: ${(err as Error).message}`, { cause: err });
  }
  return store;
}
