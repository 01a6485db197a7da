"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { Empty, ErrorNote, SkeletonRows } from "@/components/ui";
import { formatDate } from "@/lib/format";
import { useLiveOrg } from "@/lib/live";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../app-shell";

export default function ProjectsPage() {
  const trpc = useTRPC();
  const { org, canWrite } = useOrg();
  const projects = useQuery(trpc.project.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const queryClient = useQueryClient();
  // Study counts change as teammates and programs create or delete studies.
  useLiveOrg(org.id, () => void queryClient.invalidateQueries(trpc.project.list.pathFilter()));

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Projects</h1>
          <div className="sub">Studies of {org.name}, grouped by project.</div>
        </div>
        {canWrite && !creating ? (
          <button className="btn-primary" onClick={() => setCreating(true)} data-testid="new-project">
            New project
          </button>
        ) : null}
      </div>
      {creating ? <CreateProject onDone={() => setCreating(false)} /> : null}
      <div className="card">
        {projects.isPending ? (
          <SkeletonRows />
        ) : projects.error ? (
          <div className="card-body">
            <ErrorNote error={projects.error} />
          </div>
        ) : projects.data.length === 0 ? (
          <Empty
            title="No projects yet"
            action={
              canWrite && !creating ? (
                <button className="btn-primary" onClick={() => setCreating(true)}>
                  Create your first project
                </button>
              ) : null
            }
          >
            A project holds related studies, for example one model you are tuning.
          </Empty>
        ) : (
          <ul className="list" data-testid="project-list">
            {projects.data.map((p) => (
              <li key={p.id} data-testid="project-row">
                <div>
                  <Link href={`/projects/${p.id}`} className="title">
                    {p.name}
                  </Link>
                  <div className="meta">{p.description || "No description"}</div>
                </div>
                <div className="meta" data-testid="project-study-count">
                  {p.studyCount} {p.studyCount === 1 ? "study" : "studies"} · created {formatDate(p.createdAt)}
                </div>
              </li>
            ))}
          </ul>
        )}
      </div>
    </>
  );
}

function CreateProject({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.project.create.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.project.list.queryKey() });
        onDone();
      },
    }),
  );
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  return (
    <div className="card" style={{ marginBottom: 16 }}>
      <div className="card-head">
        <h2>New project</h2>
      </div>
      <form
        className="card-body"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ name: name.trim(), description: description.trim() || undefined });
        }}
      >
        <div className="grid-2">
          <div className="field">
            <label htmlFor="project-name">Name</label>
            <input
              id="project-name"
              required
              value={name}
              onChange={(e) => setName(e.target.value)}
              autoFocus
              data-testid="project-name"
            />
          </div>
          <div className="field">
            <label htmlFor="project-description">Description</label>
            <input
              id="project-description"
              value={description}
              onChange={(e) => setDescription(e.target.value)}
              placeholder="Optional"
            />
          </div>
        </div>
        {create.error ? (
          <div className="field">
            <ErrorNote error={create.error} />
          </div>
        ) : null}
        <div className="row">
          <button type="submit" className="btn-primary" disabled={create.isPending || !name.trim()} data-testid="create-project">
            {create.isPending ? "Creating…" : "Create project"}
          </button>
          <button type="button" onClick={onDone}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}
