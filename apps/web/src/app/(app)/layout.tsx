import { getServerSession } from "next-auth";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { getAuthOptions } from "@/server/auth";
import { AppShell } from "./app-shell";

export const dynamic = "force-dynamic";

export default async function AppLayout({ children }: { children: ReactNode }) {
  const session = await getServerSession(getAuthOptions());
  if (!session?.user?.id) {
    const path = (await headers()).get("x-autoglm-path") ?? "/projects";
    redirect(`/signin?callbackUrl=${encodeURIComponent(path)}`);
  }
  return <AppShell user={{ name: session.user.name, email: session.user.email }}>{children}</AppShell>;
}
