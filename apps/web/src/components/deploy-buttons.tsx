"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { DeployProgress, type TDeployed } from "@/components/deploy-progress";
import { ErrorNote } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";

/** A modal (the browser's <dialog>) that stays open while a deploy rolls out. */
function DeployDialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  // No close() on unmount: a removed <dialog> leaves the top layer by itself (see register-model-dialog).
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      onClose={onClose}
      data-testid="deploy-dialog"
      aria-labelledby={`${id}-title`}
      style={{ border: "1px solid #e1e5ea", borderRadius: 10, padding: 0, width: "min(720px, 94vw)" }}
    >
      <div className="card-head">
        <h2 id={`${id}-title`}>{title}</h2>
        <button type="button" onClick={() => ref.current?.close()} data-testid="deploy-close">
          Close
        </button>
      </div>
      <div className="card-body stack">{children}</div>
    </dialog>
  );
}

/**
 * "Deploy best" on a study page: registers the best trial if needed, points the model's
 * `production` alias at it, creates or updates the endpoint, then shows the rollout until a
 * replica is ready, with the URL, the key (shown once) and the curl snippet.
 */
export function DeployBestButton({ studyId, best }: { studyId: string; best: { trialId: string; number: number } | null }) {
  const trpc = useTRPC();
  const artifacts = useQuery({ ...trpc.trial.artifacts.queryOptions({ trialId: best?.trialId ?? "" }), enabled: Boolean(best) });
  const disabledReason = !best
    ? "No trial has finished with a value yet, so there is no best trial to deploy."
    : artifacts.data && artifacts.data.length === 0
      ? `The best trial (#${best.number}) uploaded no files, so there is no model to serve.`
      : null;
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const deploy = useMutation(
    trpc.endpoint.deploy.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries(trpc.endpoint.pathFilter());
        void queryClient.invalidateQueries(trpc.model.pathFilter());
      },
    }),
  );
  const d = deploy.data;
  return (
    <>
      <button
        className="btn-primary"
        disabled={disabledReason !== null || deploy.isPending}
        title={disabledReason ?? "Serve the best trial's model at an endpoint"}
        data-testid="deploy-best"
        onClick={() => {
          setOpen(true);
          deploy.mutate({ studyId });
        }}
      >
        {deploy.isPending ? "Deploying…" : "Deploy best"}
      </button>
      {open ? (
        <DeployDialog title="Deploy best" onClose={() => setOpen(false)}>
          {deploy.isPending ? <div className="muted">Registering the best trial and updating the endpoint…</div> : null}
          {deploy.error ? <ErrorNote error={deploy.error} testId="deploy-error" /> : null}
          {d ? (
            <DeployProgress
              deployed={{
                endpoint: d.endpoint.name,
                model: d.model,
                version: d.version,
                url: d.url,
                protocols: d.protocols,
                key: d.key,
              }}
            />
          ) : null}
        </DeployDialog>
      ) : null}
    </>
  );
}

/**
 * "Deploy this alias" on a model page: an endpoint (new, or an existing one moved) following the
 * chosen alias, then the rollout, URL, a new key (shown once) and snippets.
 */
export function DeployAliasButton({ model, aliases }: { model: string; aliases: Array<{ alias: string; version: number }> }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [alias, setAlias] = useState(aliases[0]?.alias ?? "");
  const [name, setName] = useState(model);
  const [deployed, setDeployed] = useState<TDeployed | null>(null);
  const create = useMutation(trpc.endpoint.create.mutationOptions());
  const update = useMutation(trpc.endpoint.update.mutationOptions());
  const keyCreate = useMutation(trpc.endpoint.keyCreate.mutationOptions());
  const deploy = useMutation({
    mutationFn: async (input: { name: string; alias: string }) => {
      const rows = await queryClient.fetchQuery(trpc.endpoint.list.queryOptions());
      const existing = rows.some((e) => e.name === input.name);
      const target = { name: input.name, model, alias: input.alias };
      const e = existing ? await update.mutateAsync(target) : await create.mutateAsync(target);
      // A new endpoint gets its first key here (shown once); a moved one keeps its keys.
      const key = existing ? null : await keyCreate.mutateAsync({ endpoint: e.name, keyName: "deploy" });
      return { e, key };
    },
    onSuccess: ({ e, key }) => {
      void queryClient.invalidateQueries(trpc.endpoint.pathFilter());
      setDeployed({
        endpoint: e.name,
        model,
        version: e.targetVersion ?? 0,
        url: e.url,
        protocols: e.protocols,
        key: key?.key ?? null,
      });
    },
  });
  const formId = useId();
  if (aliases.length === 0) return null;
  return (
    <>
      <button className="btn-primary" data-testid="deploy-alias" onClick={() => setOpen(true)}>
        Deploy this alias
      </button>
      {open ? (
        <DeployDialog title={`Deploy ${model}@${alias}`} onClose={() => setOpen(false)}>
          {deployed ? (
            <DeployProgress deployed={deployed} />
          ) : (
            <form
              className="stack"
              onSubmit={(e) => {
                e.preventDefault();
                deploy.mutate({ name: name.trim(), alias });
              }}
            >
              <div className="field">
                <label htmlFor={`${formId}-alias`}>Alias</label>
                <select
                  id={`${formId}-alias`}
                  value={alias}
                  onChange={(e) => setAlias(e.target.value)}
                  data-testid="deploy-alias-select"
                >
                  {aliases.map((a) => (
                    <option key={a.alias} value={a.alias}>
                      {a.alias} → v{a.version}
                    </option>
                  ))}
                </select>
                <div className="help">
                  The endpoint follows the alias: moving it later rolls the new version out without downtime.
                </div>
              </div>
              <div className="field">
                <label htmlFor={`${formId}-name`}>Endpoint name</label>
                <input
                  id={`${formId}-name`}
                  required
                  value={name}
                  onChange={(e) => setName(e.target.value)}
                  data-testid="deploy-endpoint-name"
                />
                <div className="help">
                  An existing endpoint of this name is moved onto the alias; a new name creates one and a key.
                </div>
              </div>
              {deploy.error ? <ErrorNote error={deploy.error} testId="deploy-error" /> : null}
              <div className="row">
                <button
                  type="submit"
                  className="btn-primary"
                  disabled={deploy.isPending || !name.trim()}
                  data-testid="deploy-submit"
                >
                  {deploy.isPending ? "Deploying…" : "Deploy"}
                </button>
              </div>
            </form>
          )}
        </DeployDialog>
      ) : null}
    </>
  );
}
