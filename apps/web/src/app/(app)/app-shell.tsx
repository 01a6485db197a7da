"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { ErrorNote, Loading } from "@/components/ui";
import { signOut } from "@/lib/auth-client";
import { userMessageOf } from "@/lib/errors";
import { getSelectedOrg, setSelectedOrg } from "@/lib/org";
import { useTRPC, type RouterOutputs } from "@/lib/trpc";

type TMe = RouterOutputs["auth"]["me"];

export type Role = "owner" | "admin" | "member" | "viewer";
interface OrgInfo {
  id: string;
  name: string;
  slug: string;
  role: Role;
}
interface OrgContextValue {
  org: OrgInfo;
  orgs: OrgInfo[];
  canWrite: boolean;
  isAdmin: boolean;
}
const OrgContext = createContext<OrgContextValue | null>(null);

export function useOrg(): OrgContextValue {
  const ctx = useContext(OrgContext);
  if (!ctx) throw new Error("useOrg outside the app shell");
  return ctx;
}

/** The top bar's sections; the team's settings have their own tabs (settings/layout.tsx). */
const NAV = [
  { href: "/projects", label: "Projects", sections: ["/projects", "/studies"] },
  { href: "/models", label: "Models", sections: ["/models"] },
  { href: "/endpoints", label: "Endpoints", sections: ["/endpoints"] },
  { href: "/agents", label: "Agents", sections: ["/agents"] },
  { href: "/settings/tokens", label: "Settings", sections: ["/settings"] },
];

export function AppShell({
  user,
  initialMe,
  children,
}: {
  user: { name: string; email: string };
  /** `auth.me` as the server answered it with the page (see server/initial-me.ts). */
  initialMe: TMe | undefined;
  children: ReactNode;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const pathname = usePathname();
  const me = useQuery({ ...trpc.auth.me.queryOptions(), initialData: initialMe });
  const [orgId, setOrgId] = useState<string | null>(null);
  const [creatingTeam, setCreatingTeam] = useState(false);

  const orgs = useMemo(() => (me.data?.orgs ?? []) as OrgInfo[], [me.data]);
  useEffect(() => {
    if (!me.data) return;
    const saved = getSelectedOrg();
    const chosen = orgs.find((o) => o.id === saved) ?? orgs[0];
    setSelectedOrg(chosen?.id ?? null);
    setOrgId(chosen?.id ?? null);
  }, [me.data, orgs]);

  const org = orgs.find((o) => o.id === orgId) ?? null;
  const value = useMemo<OrgContextValue | null>(
    () => (org ? { org, orgs, canWrite: org.role !== "viewer", isAdmin: org.role === "owner" || org.role === "admin" } : null),
    [org, orgs],
  );

  function switchOrg(id: string) {
    if (id === "__new") {
      setCreatingTeam(true);
      return;
    }
    setSelectedOrg(id);
    setOrgId(id);
    // Everything cached belongs to the previous team.
    queryClient.removeQueries({ predicate: (q) => JSON.stringify(q.queryKey).indexOf('"me"') < 0 });
    router.push("/projects");
  }

  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <Link href="/projects" className="brand">
            <span className="brand-mark" /> <span className="brand-name">Open-AutoGLM</span>
          </Link>
          <nav className="nav">
            {NAV.map((n) => (
              <Link key={n.href} href={n.href} className={n.sections.some((p) => pathname.startsWith(p)) ? "active" : undefined}>
                {n.label}
              </Link>
            ))}
          </nav>
          <div className="topbar-spacer" />
          {orgs.length > 0 ? (
            <select aria-label="Team" data-testid="team-switcher" value={orgId ?? ""} onChange={(e) => switchOrg(e.target.value)}>
              {orgs.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name} ({o.role})
                </option>
              ))}
              <option value="__new">+ Create team…</option>
            </select>
          ) : null}
          <Link href="/settings/account" className="user" title={`${user.email} — account settings`} data-testid="account-link">
            {user.name || user.email}
          </Link>
          <button className="linklike" onClick={() => void signOut()} data-testid="sign-out">
            Sign out
          </button>
        </div>
      </header>
      <main className="main">
        {me.isPending ? (
          <Loading />
        ) : me.error ? (
          <ErrorNote error={me.error} />
        ) : creatingTeam || orgs.length === 0 ? (
          <CreateTeam
            first={orgs.length === 0}
            onCancel={orgs.length ? () => setCreatingTeam(false) : undefined}
            onCreated={async (id) => {
              setCreatingTeam(false);
              setSelectedOrg(id);
              setOrgId(id);
              await me.refetch();
              router.push("/projects");
            }}
          />
        ) : value ? (
          <OrgContext.Provider value={value} key={value.org.id}>
            {children}
          </OrgContext.Provider>
        ) : (
          <Loading />
        )}
      </main>
    </>
  );
}

function CreateTeam({ first, onCancel, onCreated }: { first: boolean; onCancel?: () => void; onCreated: (id: string) => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.org.create.mutationOptions());
  const [name, setName] = useState("");
  return (
    <div className="card" style={{ maxWidth: 520 }}>
      <div className="card-head">
        <h2>{first ? "Create your first team" : "Create a team"}</h2>
      </div>
      <form
        className="card-body"
        onSubmit={async (e) => {
          e.preventDefault();
          const res = await create.mutateAsync({ name: name.trim() }).catch(() => null);
          if (res) onCreated(res.id);
        }}
      >
        <p className="muted" style={{ marginTop: 0 }}>
          A team owns projects, studies and API tokens. You can invite people to it with a role.
        </p>
        <div className="field">
          <label htmlFor="team-name">Team name</label>
          <input
            id="team-name"
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoFocus
            data-testid="team-name"
          />
        </div>
        {create.error ? (
          <div className="field">
            <ErrorNote error={userMessageOf(create.error)} />
          </div>
        ) : null}
        <div className="row">
          <button type="submit" className="btn-primary" disabled={create.isPending || !name.trim()}>
            {create.isPending ? "Creating…" : "Create team"}
          </button>
          {onCancel ? (
            <button type="button" onClick={onCancel}>
              Cancel
            </button>
          ) : null}
        </div>
      </form>
    </div>
  );
}
