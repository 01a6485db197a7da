export interface TChunkedResult {
  /** The response's status, or null when none came. */
  status: number | null;
  /** The response as text (head and whatever body arrived). */
  response: string;
  /** Body bytes written before the response began. */
  sentBeforeAnswer: number;
  /** Body bytes written in all. */
  sent: number;
  /** Whether the server closed the connection before the whole body was sent. */
  closedEarly: boolean;
}

export function chunkedPost(
  url: string,
  path: string,
  opts: {
    headers?: Record<string, string>;
    total: number;
    pauseAfter?: number;
    waitMs?: number;
    body?: Buffer;
    ignoreAnswer?: boolean;
  },
): Promise<TChunkedResult>;
