import { getServerSession } from "next-auth";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { sameOriginPath } from "@/lib/safe-redirect";
import { getAuthOptions } from "@/server/auth";
import { loadInitialMe } from "@/server/initial-me";
import { getPlatform } from "@/server/platform";
import { AppShell } from "./app-shell";

export const dynamic = "force-dynamic";

export default async function AppLayout({ children }: { children: ReactNode }) {
  const session = await getServerSession(getAuthOptions());
  if (!session?.user?.id) {
    // The request's own path (set by apps/server), checked like every post-sign-in target.
    const path = sameOriginPath((await headers()).get("x-autoglm-path"), getPlatform().config.publicUrl);
    redirect(`/signin?callbackUrl=${encodeURIComponent(path)}`);
  }
  return (
    <AppShell user={{ name: session.user.name, email: session.user.email }} initialMe={await loadInitialMe()}>
      {children}
    </AppShell>
  );
}
