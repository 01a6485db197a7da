"use client";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { useState, type ReactNode } from "react";
import type { AppRouter } from "@autoglm/api";
import { MAX_TRPC_BATCH_SIZE } from "@autoglm/protocol";
import { errorCodeOf } from "@/lib/errors";
import { getSelectedOrg } from "@/lib/org";
import { TRPCProvider } from "@/lib/trpc";

function onUnauthorized(err: unknown) {
  // A revoked session (sign-out everywhere, password change, disabled user) ends here.
  if (errorCodeOf(err) === "UNAUTHORIZED" && typeof window !== "undefined" && !window.location.pathname.startsWith("/signin")) {
    const back = encodeURIComponent(window.location.pathname + window.location.search);
    window.location.assign(`/signin?callbackUrl=${back}`);
  }
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
        httpBatchLink({
          url: "/api/trpc",
          // The server refuses larger batches; a page that ever asks more at once is split.
          maxItems: MAX_TRPC_BATCH_SIZE,
          headers() {
            const org = getSelectedOrg();
            return org ? { "x-autoglm-org": org } : {};
          },
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
