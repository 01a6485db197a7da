"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmButton, Empty, ErrorNote, SecretReveal, SkeletonRows } from "@/components/ui";
import { WebhookDeliveries } from "@/components/webhook-deliveries";
import { formatRelative } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../../app-shell";

const EVENTS = [
  { id: "study.completed", help: "a study spent its budget" },
  { id: "study.failed", help: "a study reached budget.max_failures" },
  { id: "model_version.created", help: "a model version was registered" },
  { id: "model_alias.moved", help: "a model alias points at another version" },
] as const;
type TEvent = (typeof EVENTS)[number]["id"];

export default function WebhooksPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { org, canWrite, isAdmin } = useOrg();
  const hooks = useQuery({ ...trpc.webhook.list.queryOptions(), enabled: canWrite, refetchInterval: 10_000 });
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<TEvent[]>(["study.completed", "study.failed"]);
  const [revealed, setRevealed] = useState<{ secret: string; url: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.webhook.list.queryKey() });
  const create = useMutation(
    trpc.webhook.create.mutationOptions({
      onSuccess: async (res) => {
        setRevealed({ secret: res.secret, url: res.url });
        setUrl("");
        setOpen(res.id);
        await refresh();
      },
    }),
  );
  const remove = useMutation(trpc.webhook.delete.mutationOptions({ onSuccess: refresh }));

  if (!canWrite) {
    return (
      <>
        <div className="page-head">
          <h1>Webhooks</h1>
        </div>
        <div className="card">
          <Empty title="Viewers cannot see webhooks">Ask an admin of {org.name} for the member role.</Empty>
        </div>
      </>
    );
  }

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Webhooks</h1>
          <div className="sub">
            {org.name}&apos;s events, POSTed as JSON and signed (<code>x-autoglm-signature</code>, HMAC-SHA256 of the timestamp
            and the raw body; the README shows how to verify). Failed deliveries are retried with backoff for a day.
          </div>
        </div>
      </div>

      {revealed ? (
        <div style={{ marginBottom: 16 }}>
          <SecretReveal
            title={`Signing secret for ${revealed.url}`}
            warning="Copy it now: it is shown only this once. Your receiver verifies each delivery's signature with it."
            value={revealed.secret}
            onDone={() => setRevealed(null)}
            testId="webhook-secret"
          />
        </div>
      ) : null}

      {isAdmin ? (
        <div className="card" style={{ marginBottom: 16 }}>
          <div className="card-head">
            <h2>New webhook</h2>
          </div>
          <form
            className="card-body"
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate({ url: url.trim(), events });
            }}
          >
            <div className="field">
              <label htmlFor="webhook-url">Payload URL</label>
              <input
                id="webhook-url"
                required
                type="url"
                value={url}
                onChange={(e) => setUrl(e.target.value)}
                placeholder="https://ci.example.com/hooks/autoglm"
                data-testid="webhook-url"
              />
            </div>
            <div className="field">
              <label>Events</label>
              {EVENTS.map((ev) => (
                <label key={ev.id} className="checkbox">
                  <input
                    type="checkbox"
                    checked={events.includes(ev.id)}
                    onChange={(e) => setEvents(e.target.checked ? [...events, ev.id] : events.filter((x) => x !== ev.id))}
                    data-testid={`webhook-event-${ev.id}`}
                  />
                  <span className="mono">{ev.id}</span> <span className="faint">— {ev.help}</span>
                </label>
              ))}
            </div>
            <ErrorNote error={create.error} testId="webhook-error" />
            <button
              type="submit"
              className="btn-primary"
              disabled={create.isPending || !url.trim() || events.length === 0}
              data-testid="create-webhook"
              style={{ marginTop: 8 }}
            >
              {create.isPending ? "Adding…" : "Add webhook"}
            </button>
          </form>
        </div>
      ) : null}

      <div className="card">
        <div className="card-head">
          <h2>Webhooks of this team</h2>
        </div>
        <ErrorNote error={remove.error} />
        {hooks.isPending ? (
          <SkeletonRows />
        ) : hooks.error ? (
          <div className="card-body">
            <ErrorNote error={hooks.error} />
          </div>
        ) : hooks.data.length === 0 ? (
          <Empty title="No webhooks yet">{isAdmin ? "Add one above." : "An admin of the team can add one."}</Empty>
        ) : (
          <div className="stack">
            {hooks.data.map((h) => (
              <div
                key={h.id}
                className="card-body"
                data-testid="webhook-row"
                style={{ borderTop: "1px solid var(--border, #e1e5ea)" }}
              >
                <div className="row" style={{ justifyContent: "space-between", alignItems: "center" }}>
                  <div>
                    <div className="mono" data-testid="webhook-row-url">
                      {h.url}
                    </div>
                    <div>
                      {h.events.map((e) => (
                        <span key={e} className="chip">
                          {e}
                        </span>
                      ))}
                      <span className="faint">
                        {h.lastDelivery
                          ? ` last delivery ${h.lastDelivery.status}, ${formatRelative(h.lastDelivery.at)}`
                          : " no deliveries yet"}
                      </span>
                    </div>
                  </div>
                  <div className="row">
                    <button onClick={() => setOpen(open === h.id ? null : h.id)} data-testid="toggle-deliveries">
                      {open === h.id ? "Hide deliveries" : "Deliveries"}
                    </button>
                    {isAdmin ? (
                      <ConfirmButton
                        label="Delete"
                        confirmLabel="Delete"
                        question="Its pending deliveries are dropped."
                        onConfirm={() => remove.mutate({ id: h.id })}
                        pending={remove.isPending}
                        testId="delete-webhook"
                      />
                    ) : null}
                  </div>
                </div>
                {open === h.id ? <WebhookDeliveries webhookId={h.id} canRedeliver={isAdmin} /> : null}
              </div>
            ))}
          </div>
        )}
      </div>
    </>
  );
}
