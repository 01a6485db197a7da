"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { ErrorNote, Loading } from "@/components/ui";
import { signOut } from "@/lib/auth-client";
import { formatDate } from "@/lib/format";
import { setSelectedOrg } from "@/lib/org";
import { useTRPC } from "@/lib/trpc";

export function AcceptInvite({ secret, signedInAs }: { secret: string; signedInAs: string | null }) {
  const trpc = useTRPC();
  const info = useQuery({ ...trpc.org.inviteInfo.queryOptions({ secret }), retry: false });
  const accept = useMutation(
    trpc.org.acceptInvite.mutationOptions({
      onSuccess: (res) => {
        setSelectedOrg(res.orgId);
        window.location.assign("/projects");
      },
    }),
  );
  const here = `/invite/${encodeURIComponent(secret)}`;

  return (
    <div className="card card-body">
      {info.isPending ? (
        <Loading />
      ) : info.error ? (
        <>
          <h1>Invitation not valid</h1>
          <p className="sub">This link has expired, was revoked, or was already used. Ask for a new one.</p>
          <Link href="/projects" className="btn w-full">
            Go to the dashboard
          </Link>
        </>
      ) : (
        <>
          <h1>Join {info.data.orgName}</h1>
          <p className="sub">
            You are invited as <span className="badge badge-role">{info.data.role}</span>. The link works until{" "}
            {formatDate(info.data.expiresAt)}.
          </p>
          {signedInAs ? (
            <>
              <ErrorNote error={accept.error} />
              <button
                className="btn-primary w-full"
                style={{ marginTop: 8 }}
                disabled={accept.isPending}
                onClick={() => accept.mutate({ secret })}
                data-testid="accept-invite"
              >
                {accept.isPending ? "Joining…" : `Join as ${signedInAs}`}
              </button>
              <div className="foot">
                Not you?{" "}
                <button className="linklike" onClick={() => void signOut()}>
                  Sign out
                </button>
              </div>
            </>
          ) : (
            <div className="stack">
              <Link href={`/signup?callbackUrl=${encodeURIComponent(here)}`} className="btn btn-primary w-full">
                Create an account to join
              </Link>
              <Link href={`/signin?callbackUrl=${encodeURIComponent(here)}`} className="btn w-full">
                I already have an account
              </Link>
            </div>
          )}
        </>
      )}
    </div>
  );
}
