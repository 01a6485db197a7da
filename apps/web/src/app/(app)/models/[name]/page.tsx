"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useState } from "react";
import { DeployAliasButton } from "@/components/deploy-buttons";
import { ErrorNote, Loading } from "@/components/ui";
import { formatDate } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../../app-shell";
import { AliasBadges } from "../alias-badges";
import { AliasCard } from "./alias-card";
import { CompareCard } from "./compare-card";
import { ModelEdit } from "./model-edit";
import { ObjectiveCard } from "./objective-card";
import { VersionDetail } from "./version-detail";
import { VersionsTable } from "./versions-table";

export default function ModelPage() {
  const params = useParams<{ name: string }>();
  const name = decodeSegment(params.name);
  const trpc = useTRPC();
  const model = useQuery(trpc.model.get.queryOptions({ name }));
  const project = useQuery({
    ...trpc.project.get.queryOptions({ projectId: model.data?.projectId ?? "" }),
    enabled: Boolean(model.data?.projectId),
  });
  const [selected, setSelected] = useState<number | null>(null);
  const { canWrite } = useOrg();

  if (model.isPending) return <Loading />;
  if (model.error) return <ErrorNote error={model.error} />;
  const m = model.data;
  const live = m.versions.filter((v) => !v.deletedAt);
  // The version whose files and lineage show below the table: the one clicked, else the newest live one.
  const shown = m.versions.find((v) => v.version === selected) ?? live.at(-1) ?? null;

  return (
    <>
      <div className="crumbs">
        <Link href="/models">Models</Link> /
      </div>
      <div className="page-head">
        <div>
          <div className="row">
            <h1 data-testid="model-name">{m.name}</h1>
            {m.aliases.length ? <AliasBadges aliases={m.aliases} /> : null}
          </div>
          <div className="sub">
            {m.description ? <span data-testid="model-description">{m.description} · </span> : null}
            {live.length} live {live.length === 1 ? "version" : "versions"}
            {m.projectId ? (
              <>
                {" · project "}
                <Link href={`/projects/${m.projectId}`} data-testid="model-project">
                  {project.data?.name ?? "…"}
                </Link>
              </>
            ) : null}
            {" · created "}
            {formatDate(m.createdAt)}
            {m.tags.length ? (
              <>
                {" · "}
                {m.tags.map((t) => (
                  <span key={t} className="chip" data-testid="model-tag">
                    {t}
                  </span>
                ))}
              </>
            ) : null}
          </div>
        </div>
        <div className="row">
          {canWrite ? <DeployAliasButton model={m.name} aliases={m.aliases} /> : null}
          <ModelEdit model={m.name} description={m.description} tags={m.tags} />
        </div>
      </div>

      <VersionsTable versions={m.versions} selected={shown?.version ?? null} onSelect={setSelected} />
      {shown ? <VersionDetail model={m.name} version={shown} /> : null}
      <div className="grid-2" style={{ marginBottom: 16 }}>
        <AliasCard model={m.name} aliases={m.aliases} versions={live.map((v) => v.version)} />
        <ObjectiveCard versions={m.versions} />
      </div>
      <CompareCard model={m.name} versions={m.versions} />
    </>
  );
}

/** The route segment as typed; a malformed escape (`%E0`) is passed on as is, and the server answers "Model not found.". */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
