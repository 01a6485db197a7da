/** What moved an endpoint to a version, as the server records it (`endpoint_revisions.via`), in words. */
const CAUSES: Record<string, string> = {
  create: "endpoint created",
  update: "endpoint updated",
  deploy: "Deploy best",
  alias: "alias moved",
  demo: "demo set-up",
};

/** How an endpoint came to serve a version: "Deploy best", "alias moved", …; an unknown cause as recorded. */
export function revisionCause(via: string): string {
  return CAUSES[via] ?? via;
}
