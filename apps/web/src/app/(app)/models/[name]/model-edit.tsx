"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ErrorNote } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../../app-shell";

/** "a, b  c" → ["a", "b", "c"]: tags are typed as one line, separated by commas or spaces. */
export function parseTags(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** Members edit a model's description and tags (its versions never change); viewers see nothing here. */
export function ModelEdit({ model, description, tags }: { model: string; description: string | null; tags: string[] }) {
  const { canWrite } = useOrg();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState(description ?? "");
  const [tagText, setTagText] = useState(tags.join(", "));
  const save = useMutation(
    trpc.model.update.mutationOptions({
      onSuccess: async () => {
        setOpen(false);
        await queryClient.invalidateQueries(trpc.model.pathFilter());
      },
    }),
  );
  if (!canWrite) return null;
  if (!open) {
    return (
      <button
        type="button"
        onClick={() => {
          setText(description ?? "");
          setTagText(tags.join(", "));
          setOpen(true);
        }}
        data-testid="model-edit"
      >
        Edit description and tags
      </button>
    );
  }
  return (
    <form
      className="card card-body"
      style={{ marginBottom: 16 }}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({ name: model, description: text.trim() || null, tags: parseTags(tagText) });
      }}
      data-testid="model-edit-form"
    >
      <div className="field">
        <label htmlFor="model-edit-description">Description</label>
        <textarea
          id="model-edit-description"
          rows={3}
          maxLength={2000}
          value={text}
          onChange={(e) => setText(e.target.value)}
          data-testid="model-edit-description"
        />
      </div>
      <div className="field">
        <label htmlFor="model-edit-tags">Tags (separated by commas or spaces)</label>
        <input id="model-edit-tags" value={tagText} onChange={(e) => setTagText(e.target.value)} data-testid="model-edit-tags" />
      </div>
      <div className="row">
        <button type="submit" className="btn-primary" disabled={save.isPending} data-testid="model-edit-save">
          {save.isPending ? "Saving…" : "Save"}
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
      <ErrorNote error={save.error} testId="model-edit-error" />
    </form>
  );
}
