// The manifest digest of a model version, recomputed on the client: one definition, in
// @autoglm/protocol, shared with the registry and the agent; model-manifest.test.ts holds it to
// the api's answers.
export { canonicalManifest, manifestDigest, type TManifestEntry } from "@autoglm/protocol/model-manifest";
