"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useId, useRef, useState } from "react";
import { ErrorNote } from "@/components/ui";
import { modelPath } from "@/lib/model-view";
import { useTRPC } from "@/lib/trpc";

interface RegisterModelButtonProps {
  trialId: string | undefined;
  label: string;
  /** Why the button is disabled; null when it is enabled. */
  disabledReason: string | null;
  defaultName: string;
  testId: string;
}

/** A button that opens the register dialog, or a disabled one with its reason beside it. */
export function RegisterModelButton({ trialId, label, disabledReason, defaultName, testId }: RegisterModelButtonProps) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        className="btn-primary"
        disabled={disabledReason !== null}
        title={disabledReason ?? undefined}
        data-testid={testId}
        onClick={() => setOpen(true)}
      >
        {label}
      </button>
      {disabledReason !== null ? (
        <span className="muted" style={{ fontSize: 12.5, maxWidth: 260 }} data-testid={`${testId}-reason`}>
          {disabledReason}
        </span>
      ) : null}
      {open && trialId ? (
        <RegisterModelDialog trialId={trialId} defaultName={defaultName} onClose={() => setOpen(false)} />
      ) : null}
    </>
  );
}

/**
 * A modal (the browser's <dialog>: Escape closes it, focus stays inside) asking for the model
 * name, an optional alias and a description; the trial's uploaded files become the model's next
 * version. Existing names are offered, since registering under one adds a version to it.
 */
function RegisterModelDialog({ trialId, defaultName, onClose }: { trialId: string; defaultName: string; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ref = useRef<HTMLDialogElement>(null);
  const listId = useId();
  const models = useQuery(trpc.model.list.queryOptions());
  const register = useMutation(
    trpc.model.register.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.model.pathFilter()) }),
  );
  const [name, setName] = useState(defaultName);
  const [alias, setAlias] = useState("");
  const [description, setDescription] = useState("");

  // No close() on unmount: a removed <dialog> leaves the top layer by itself, and a close event
  // from React's development double-run of effects would shut the dialog as it opens.
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  const done = register.data;
  return (
    <dialog
      ref={ref}
      onClose={onClose}
      data-testid="register-dialog"
      aria-labelledby={`${listId}-title`}
      style={{ border: "1px solid #e1e5ea", borderRadius: 10, padding: 0, width: "min(520px, 92vw)" }}
    >
      <div className="card-head">
        <h2 id={`${listId}-title`}>Register model</h2>
      </div>
      {done ? (
        <div className="card-body stack" data-testid="register-done">
          <div className="notice notice-ok">
            Registered version {done.version} of <strong>{done.model}</strong>
            {done.aliases.length ? ` (alias ${done.aliases.join(", ")})` : ""}.
          </div>
          <div className="muted mono" style={{ fontSize: 12 }} title="SHA-256 of the version's file manifest">
            digest {done.digest.slice(0, 12)} · {done.uri}
          </div>
          <div className="row">
            <Link href={modelPath(done.model)} className="btn btn-primary" data-testid="register-model-link">
              Open model {done.model}
            </Link>
            <button type="button" onClick={() => ref.current?.close()}>
              Close
            </button>
          </div>
        </div>
      ) : (
        <form
          className="card-body"
          onSubmit={(e) => {
            e.preventDefault();
            register.mutate({
              trialId,
              name: name.trim(),
              alias: alias.trim() || undefined,
              description: description.trim() || undefined,
            });
          }}
        >
          <div className="field">
            <label htmlFor={`${listId}-name`}>Model name</label>
            <input
              id={`${listId}-name`}
              list={`${listId}-names`}
              required
              autoFocus
              value={name}
              onChange={(e) => setName(e.target.value)}
              data-testid="register-name"
            />
            <datalist id={`${listId}-names`}>
              {(models.data ?? []).map((m) => (
                <option key={m.name} value={m.name}>
                  {m.latest ? `v${m.latest.version}` : "no versions"}
                </option>
              ))}
            </datalist>
            <div className="help">
              An existing name gets a new version; a new name creates the model. Letters, digits, &quot;.&quot;, &quot;_&quot; and
              &quot;-&quot;, starting with a letter or digit.
            </div>
          </div>
          <div className="field">
            <label htmlFor={`${listId}-alias`}>Alias (optional)</label>
            <input
              id={`${listId}-alias`}
              placeholder="e.g. candidate"
              value={alias}
              onChange={(e) => setAlias(e.target.value)}
              data-testid="register-alias"
            />
            <div className="help">Moves the alias to the new version.</div>
          </div>
          <div className="field">
            <label htmlFor={`${listId}-description`}>Description (optional)</label>
            <textarea
              id={`${listId}-description`}
              rows={2}
              value={description}
              onChange={(e) => setDescription(e.target.value)}
              data-testid="register-description"
            />
          </div>
          {register.error ? (
            <div className="field">
              <ErrorNote error={register.error} testId="register-error" />
            </div>
          ) : null}
          <div className="row">
            <button
              type="submit"
              className="btn-primary"
              disabled={register.isPending || !name.trim()}
              data-testid="register-submit"
            >
              {register.isPending ? "Registering…" : "Register"}
            </button>
            <button type="button" onClick={() => ref.current?.close()}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
