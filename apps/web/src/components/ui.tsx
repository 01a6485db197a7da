"use client";
import { useState, type ReactNode } from "react";
import { userMessageOf } from "@/lib/errors";

export function ErrorNote({ error, testId }: { error: unknown; testId?: string }) {
  if (!error) return null;
  return (
    <div className="notice notice-error" role="alert" data-testid={testId ?? "error"}>
      {typeof error === "string" ? error : userMessageOf(error)}
    </div>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="loading-line" aria-busy="true">
      <span className="spinner" /> {label}
    </div>
  );
}

export function SkeletonRows({ rows = 3 }: { rows?: number }) {
  return (
    <div className="card-body stack" aria-busy="true">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton" style={{ width: `${90 - i * 15}%` }} />
      ))}
    </div>
  );
}

export function Empty({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      {children ? <p>{children}</p> : null}
      {action}
    </div>
  );
}

export function StateBadge({ state }: { state: string }) {
  return (
    <span className={`badge badge-${state}`} data-testid="state-badge">
      {state}
    </span>
  );
}

/** A destructive button that asks once, inline (no browser dialog). */
export function ConfirmButton({
  label,
  confirmLabel,
  question,
  onConfirm,
  pending,
  testId,
}: {
  label: string;
  confirmLabel: string;
  question: string;
  onConfirm: () => void;
  pending?: boolean;
  testId?: string;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button className="btn-danger" onClick={() => setAsking(true)} disabled={pending} data-testid={testId}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm-box">
      <span>{question}</span>
      <button
        className="btn-danger-solid btn-sm"
        disabled={pending}
        data-testid={testId ? `${testId}-confirm` : undefined}
        onClick={() => {
          onConfirm();
          setAsking(false);
        }}
      >
        {confirmLabel}
      </button>
      <button className="btn-sm" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** Shows a secret once, with a copy button and the warning that it will not be shown again. */
export function SecretReveal({
  title,
  value,
  warning,
  onDone,
  testId,
}: {
  title: string;
  value: string;
  warning: string;
  onDone?: () => void;
  testId?: string;
}) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="reveal" data-testid={testId ?? "secret-reveal"}>
      <strong>{title}</strong>
      <div className="muted">{warning}</div>
      <div className="secret">
        <input
          readOnly
          value={value}
          onFocus={(e) => e.currentTarget.select()}
          data-testid={`${testId ?? "secret-reveal"}-value`}
          aria-label={title}
        />
        <button
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(value);
              setCopied(true);
            } catch {
              setCopied(false);
            }
          }}
        >
          {copied ? "Copied" : "Copy"}
        </button>
        {onDone ? <button onClick={onDone}>Done</button> : null}
      </div>
    </div>
  );
}
