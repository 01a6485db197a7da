"use client";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpLink, splitLink } from "@trpc/client";
import { useState, type ReactNode } from "react";
import type { AppRouter } from "@autoglm/api";
import { MAX_TRPC_BATCH_SIZE } from "@autoglm/protocol";
import { errorCodeOf } from "@/lib/errors";
import { getSelectedOrg } from "@/lib/org";
import { TRPCProvider } from "@/lib/trpc";

/**
 * Queries that fit a model on the study's trials (seconds at 10,000 trials), or compute a
 * hypervolume history in the optimizer pool, go in requests of their own: a batch answers only
 * when its slowest call does, and the study page's history, plots and table must not wait for an estimate.
 */
const UNBATCHED = new Set(["study.importance", "study.improvement", "study.hypervolume"]);

function onUnauthorized(err: unknown) {
  // A revoked session (sign-out everywhere, password change, disabled user) ends here.
  if (errorCodeOf(err) === "UNAUTHORIZED" && typeof window !== "undefined" && !window.location.pathname.startsWith("/signin")) {
    const back = encodeURIComponent(window.location.pathname + window.location.search);
    window.location.assign(`/signin?callbackUrl=${back}`);
  }
}

function orgHeader(): Record<string, string> {
  const org = getSelectedOrg();
  return org ? { "x-autoglm-org": org } : {};
}

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        queryCache: new QueryCache({ onError: onUnauthorized }),
        mutationCache: new MutationCache({ onError: onUnauthorized }),
        defaultOptions: {
          queries: {
            staleTime: 5_000,
            refetchOnWindowFocus: true,
            // 4xx answers will not change on retry; network blips may.
            retry: (count, err) => !errorCodeOf(err) && count < 2,
          },
        },
      }),
  );
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        splitLink({
          condition: (op) => UNBATCHED.has(op.path),
          true: httpLink({ url: "/api/trpc", headers: orgHeader }),
          false: httpBatchLink({
            url: "/api/trpc",
            // The server refuses larger batches; a page that ever asks more at once is split.
            maxItems: MAX_TRPC_BATCH_SIZE,
            headers: orgHeader,
          }),
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
