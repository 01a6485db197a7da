export {
  parseModelRef,
  URI_SCHEME,
  versionUri,
  zAliasName,
  zModelName,
  zModelRef,
  zVersionNumber,
  type TModelRef,
} from "@autoglm/protocol";

/** Where the server serves a version's file (apps/server model-download.ts); `org` picks a session's team. */
export function modelFileDownloadPath(input: { orgId: string; name: string; version: number; file: string }): string {
  const file = input.file.split("/").map(encodeURIComponent).join("/");
  return `/api/models/${encodeURIComponent(input.name)}/versions/${input.version}/files/${file}?org=${input.orgId}`;
}
