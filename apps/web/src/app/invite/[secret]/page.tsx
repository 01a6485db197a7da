import type { Metadata } from "next";
import { getServerSession } from "next-auth";
import { getAuthOptions } from "@/server/auth";
import { AcceptInvite } from "./accept-invite";

export const metadata: Metadata = { title: "Invitation" };
export const dynamic = "force-dynamic";

export default async function InvitePage({ params }: { params: Promise<{ secret: string }> }) {
  const { secret } = await params;
  const session = await getServerSession(getAuthOptions());
  return (
    <div className="auth-wrap">
      <div className="auth-card">
        <div className="brand">
          <span className="brand-mark" /> Open-AutoGLM
        </div>
        <AcceptInvite secret={secret} signedInAs={session?.user?.email ?? null} />
      </div>
    </div>
  );
}
