"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useParams, useRouter } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import type { TSpecIssue } from "@autoglm/protocol";
import { stringify as toYaml } from "yaml";
import { ErrorNote } from "@/components/ui";
import { userMessageOf } from "@/lib/errors";
import { EXAMPLE_STUDY_YAML } from "@/lib/example-spec";
import { checkSpec, checkYaml, issuesFromMessage, parseYamlLoose } from "@/lib/spec-validate";
import { useTRPC } from "@/lib/trpc";
import { SpecForm, formToSpec, specToForm, type FormState } from "./spec-form";

type Mode = "yaml" | "form";

export default function NewStudyPage() {
  const { projectId } = useParams<{ projectId: string }>();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const project = useQuery(trpc.project.get.queryOptions({ projectId }));
  const [mode, setMode] = useState<Mode>("yaml");
  const [yamlText, setYamlText] = useState(EXAMPLE_STUDY_YAML);
  const [form, setForm] = useState<FormState>(() => specToForm(checkYaml(EXAMPLE_STUDY_YAML)));
  const [serverIssues, setServerIssues] = useState<TSpecIssue[]>([]);
  const [serverError, setServerError] = useState<string | null>(null);
  const [touched, setTouched] = useState(false);

  const create = useMutation(
    trpc.study.create.mutationOptions({
      onSuccess: async (res) => {
        await queryClient.invalidateQueries({ queryKey: trpc.study.list.queryKey() });
        router.push(`/studies/${res.id}`);
      },
      onError: (err) => {
        const msg = userMessageOf(err);
        setServerError(msg);
        setServerIssues(issuesFromMessage(msg));
      },
    }),
  );

  // Client-side validation as you type, with the API's own schema.
  const check = useMemo(() => (mode === "yaml" ? checkYaml(yamlText) : checkSpec(formToSpec(form))), [mode, yamlText, form]);
  const issues = check.ok ? [] : check.issues;
  useEffect(() => {
    setServerIssues([]);
    setServerError(null);
  }, [yamlText, form]);

  function switchMode(next: Mode) {
    if (next === mode) return;
    if (next === "yaml") {
      setYamlText(toYaml(formToSpec(form), { lineWidth: 0 }));
    } else {
      // Even an invalid spec carries over, so its errors show beside the form's fields.
      setForm(specToForm(parseYamlLoose(yamlText)));
    }
    setMode(next);
  }

  function submit() {
    setTouched(true);
    if (!check.ok) return;
    if (mode === "yaml") create.mutate({ projectId, yaml: yamlText });
    else create.mutate({ projectId, spec: formToSpec(form) as never });
  }

  const shownIssues = issues;
  const allIssues = [...shownIssues, ...serverIssues];

  return (
    <>
      <div className="crumbs">
        <Link href="/projects">Projects</Link> / <Link href={`/projects/${projectId}`}>{project.data?.name ?? "…"}</Link> /
      </div>
      <div className="page-head">
        <div>
          <h1>New study</h1>
          <div className="sub">
            Define the search space, the objective and the budget. YAML and the form describe the same spec.
          </div>
        </div>
      </div>
      <div className="card">
        <div className="card-body">
          <div className="tabs" role="tablist">
            <button
              role="tab"
              className={mode === "yaml" ? "active" : ""}
              onClick={() => switchMode("yaml")}
              data-testid="mode-yaml"
            >
              YAML
            </button>
            <button
              role="tab"
              className={mode === "form" ? "active" : ""}
              onClick={() => switchMode("form")}
              data-testid="mode-form"
            >
              Form
            </button>
          </div>
          {mode === "yaml" ? (
            <div className="grid-2" style={{ gridTemplateColumns: "minmax(0, 3fr) minmax(0, 2fr)" }}>
              <div>
                <textarea
                  className={`code ${allIssues.length ? "invalid" : ""}`}
                  spellCheck={false}
                  value={yamlText}
                  onChange={(e) => setYamlText(e.target.value)}
                  aria-label="Study spec (YAML)"
                  data-testid="spec-yaml"
                />
              </div>
              <div>
                <h3 style={{ marginBottom: 8 }}>Validation</h3>
                <IssueList issues={allIssues} />
                <p className="muted" style={{ fontSize: 12.5 }}>
                  Parameters: <code>float</code> / <code>int</code> with <code>low</code>, <code>high</code>, optional{" "}
                  <code>log</code> or <code>step</code>; <code>categorical</code> with <code>choices</code>; <code>when</code>{" "}
                  makes a parameter conditional. The same file works with <code>autoglm study create -f study.yaml</code>.
                </p>
              </div>
            </div>
          ) : (
            <SpecForm form={form} onChange={setForm} issues={allIssues} />
          )}
          {serverError && serverIssues.length === 0 ? (
            <div style={{ marginTop: 12 }}>
              <ErrorNote error={serverError} testId="create-study-error" />
            </div>
          ) : null}
          <div className="row" style={{ marginTop: 16 }}>
            <button
              className="btn-primary"
              onClick={submit}
              disabled={create.isPending || (mode === "yaml" && !check.ok)}
              data-testid="create-study"
            >
              {create.isPending ? "Creating…" : "Create study"}
            </button>
            <Link href={`/projects/${projectId}`} className="btn">
              Cancel
            </Link>
            {mode === "form" && touched && issues.length ? (
              <span className="field-error">Fix the {issues.length} highlighted field(s).</span>
            ) : null}
          </div>
        </div>
      </div>
    </>
  );
}

function IssueList({ issues }: { issues: TSpecIssue[] }) {
  if (issues.length === 0) {
    return (
      <div className="notice notice-ok" data-testid="spec-valid">
        The spec is valid.
      </div>
    );
  }
  return (
    <div className="notice notice-error" data-testid="spec-issues" role="alert">
      {issues.length === 1 ? "1 problem:" : `${issues.length} problems:`}
      <ul className="issues">
        {issues.map((i, k) => (
          <li key={k}>
            <code>{i.path}</code>: {i.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
