/** The sentence to show for a failed call: the server's userMessage, never a stack. */
export function userMessageOf(err: unknown): string {
  if (!err) return "";
  const e = err as {
    data?: { userMessage?: unknown; code?: unknown };
    message?: unknown;
    shape?: { data?: { userMessage?: unknown } };
  };
  const fromData = e.data?.userMessage ?? e.shape?.data?.userMessage;
  if (typeof fromData === "string" && fromData) return fromData;
  if (e.data?.code === "UNAUTHORIZED") return "Your session has ended. Sign in again.";
  if (e.data?.code === "FORBIDDEN") return "You do not have permission to do that.";
  if (e.data?.code === "NOT_FOUND") return "Not found. It may have been deleted, or it belongs to another team.";
  if (typeof e.message === "string" && e.message && !e.message.includes("\n") && e.message.length < 200) {
    if (e.message === "Failed to fetch") return "Could not reach the server. Check your connection and try again.";
    return e.message;
  }
  return "Something went wrong. Try again.";
}

export function errorCodeOf(err: unknown): string | undefined {
  const code = (err as { data?: { code?: unknown } } | null)?.data?.code;
  return typeof code === "string" ? code : undefined;
}
