"use client";
import { SAMPLER_NAMES, type TSpecIssue } from "@autoglm/protocol";
import type { SpecCheck } from "@/lib/spec-validate";

export interface FormParam {
  key: number;
  name: string;
  type: "float" | "int" | "categorical";
  low: string;
  high: string;
  log: boolean;
  step: string;
  choices: string;
  /** Fields the form does not edit (when) survive a round trip. */
  rest: Record<string, unknown>;
}

export interface FormState {
  name: string;
  metric: string;
  direction: "minimize" | "maximize";
  sampler: string;
  seed: string;
  maxTrials: string;
  maxParallel: string;
  timeoutMinutes: string;
  leaseMinutes: string;
  params: FormParam[];
  /** Top-level sections the form does not edit (pruner, run, description). */
  rest: Record<string, unknown>;
}

let nextKey = 1;

function num(s: string): number | undefined {
  if (s.trim() === "") return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : (s as unknown as number); // let zod name the bad field
}

function parseChoice(s: string): string | number | boolean {
  const t = s.trim();
  if (t === "true") return true;
  if (t === "false") return false;
  if (t !== "" && Number.isFinite(Number(t))) return Number(t);
  return t;
}

export function formToSpec(f: FormState): Record<string, unknown> {
  const space: Record<string, unknown> = {};
  for (const p of f.params) {
    if (!p.name.trim()) continue;
    space[p.name.trim()] =
      p.type === "categorical"
        ? {
            ...p.rest,
            type: p.type,
            choices: p.choices
              .split(",")
              .filter((c) => c.trim() !== "")
              .map(parseChoice),
          }
        : {
            ...p.rest,
            type: p.type,
            low: num(p.low),
            high: num(p.high),
            ...(p.log ? { log: true } : {}),
            ...(p.step.trim() ? { step: num(p.step) } : {}),
          };
  }
  const budget: Record<string, unknown> = { max_trials: num(f.maxTrials), max_parallel: num(f.maxParallel) };
  if (f.timeoutMinutes.trim()) budget.timeout_minutes = num(f.timeoutMinutes);
  if (f.leaseMinutes.trim()) budget.lease_minutes = num(f.leaseMinutes);
  return {
    ...f.rest,
    name: f.name,
    objective: { metric: f.metric, direction: f.direction },
    space,
    sampler: { name: f.sampler, ...(f.seed.trim() ? { seed: num(f.seed) } : {}) },
    budget,
  };
}

const str = (v: unknown) => (v === undefined || v === null ? "" : String(v));

export function specToForm(check: SpecCheck | { ok: false }): FormState {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a spec of any shape, picked apart field by field
  const spec = (check.ok ? check.spec : {}) as Record<string, any>;
  const { name, objective, space, sampler, budget, ...rest } = spec;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above, one parameter
  const params: FormParam[] = Object.entries((space ?? {}) as Record<string, any>).map(([pname, p]) => {
    const { type, low, high, log, step, choices, ...prest } = p ?? {};
    return {
      key: nextKey++,
      name: pname,
      type: type === "int" || type === "categorical" ? type : "float",
      low: str(low),
      high: str(high),
      log: Boolean(log),
      step: str(step),
      choices: Array.isArray(choices) ? choices.join(", ") : "",
      rest: prest,
    };
  });
  return {
    name: str(name) || "my-study",
    metric: str(objective?.metric) || "loss",
    direction: objective?.direction === "maximize" ? "maximize" : "minimize",
    sampler: str(sampler?.name) || "auto",
    seed: str(sampler?.seed),
    maxTrials: str(budget?.max_trials ?? 100),
    maxParallel: str(budget?.max_parallel ?? 4),
    timeoutMinutes: str(budget?.timeout_minutes),
    leaseMinutes: str(budget?.lease_minutes),
    params: params.length ? params : [emptyParam()],
    rest,
  };
}

function emptyParam(): FormParam {
  return { key: nextKey++, name: "", type: "float", low: "0", high: "1", log: false, step: "", choices: "", rest: {} };
}

function issueFor(issues: TSpecIssue[], path: string): string | undefined {
  const hit = issues.find((i) => i.path === path);
  return hit ? hit.message : undefined;
}

function issuesUnder(issues: TSpecIssue[], prefix: string): TSpecIssue[] {
  return issues.filter((i) => i.path === prefix || i.path.startsWith(`${prefix}.`));
}

function Err({ msg, path }: { msg: string | undefined; path: string }) {
  if (!msg) return null;
  return (
    <div className="field-error" data-testid={`field-error-${path}`}>
      <code>{path}</code>: {msg}
    </div>
  );
}

export function SpecForm({
  form,
  onChange,
  issues,
}: {
  form: FormState;
  onChange: (f: FormState) => void;
  issues: TSpecIssue[];
}) {
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => onChange({ ...form, [k]: v });
  const setParam = (key: number, patch: Partial<FormParam>) =>
    onChange({ ...form, params: form.params.map((p) => (p.key === key ? { ...p, ...patch } : p)) });
  const field = (path: string, label: string, value: string, k: keyof FormState, props: Record<string, unknown> = {}) => {
    const msg = issueFor(issues, path);
    return (
      <div className="field">
        <label htmlFor={`f-${path}`}>{label}</label>
        <input
          id={`f-${path}`}
          className={msg ? "invalid" : ""}
          value={value}
          onChange={(e) => set(k, e.target.value as never)}
          {...props}
        />
        <Err msg={msg} path={path} />
      </div>
    );
  };
  const known = new Set([
    "name",
    "objective.metric",
    "objective.direction",
    "sampler.name",
    "sampler.seed",
    "budget.max_trials",
    "budget.max_parallel",
    "budget.timeout_minutes",
    "budget.lease_minutes",
  ]);
  const spaceLevel = issues.filter((i) => i.path === "space");
  const other = issues.filter((i) => !known.has(i.path) && !i.path.startsWith("space"));

  return (
    <div data-testid="spec-form">
      <div className="grid-2">
        {field("name", "Study name", form.name, "name")}
        <div className="row" style={{ alignItems: "flex-start" }}>
          <div style={{ flex: 1 }}>{field("objective.metric", "Metric", form.metric, "metric")}</div>
          <div className="field" style={{ width: 160 }}>
            <label htmlFor="f-direction">Direction</label>
            <select
              id="f-direction"
              value={form.direction}
              onChange={(e) => set("direction", e.target.value as FormState["direction"])}
            >
              <option value="minimize">minimize</option>
              <option value="maximize">maximize</option>
            </select>
          </div>
        </div>
      </div>

      <h3 style={{ margin: "8px 0" }}>Search space</h3>
      <div className="table-wrap card" style={{ marginBottom: 8 }}>
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Low</th>
              <th>High</th>
              <th>Log</th>
              <th>Step</th>
              <th>Choices (comma-separated)</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {form.params.map((p) => {
              const base = `space.${p.name.trim()}`;
              const rowIssues = p.name.trim() ? issuesUnder(issues, base) : [];
              const cell = (k: "low" | "high" | "step") => {
                const msg = issueFor(issues, `${base}.${k}`);
                return (
                  <td>
                    <input
                      className={msg ? "invalid" : ""}
                      style={{ width: 90 }}
                      value={p[k]}
                      onChange={(e) => setParam(p.key, { [k]: e.target.value })}
                      aria-label={`${p.name} ${k}`}
                      disabled={p.type === "categorical"}
                    />
                  </td>
                );
              };
              return [
                <tr key={p.key}>
                  <td>
                    <input
                      style={{ width: 130 }}
                      value={p.name}
                      onChange={(e) => setParam(p.key, { name: e.target.value })}
                      aria-label="parameter name"
                      placeholder="lr"
                    />
                    {p.rest.when ? (
                      <div className="faint" style={{ fontSize: 11 }} title="Edit conditions in YAML">
                        when{" "}
                        {Object.entries(p.rest.when as Record<string, unknown>)
                          .map(([k, v]) => `${k}=${String(v)}`)
                          .join(", ")}
                      </div>
                    ) : null}
                  </td>
                  <td>
                    <select
                      value={p.type}
                      onChange={(e) => setParam(p.key, { type: e.target.value as FormParam["type"] })}
                      aria-label={`${p.name} type`}
                    >
                      <option value="float">float</option>
                      <option value="int">int</option>
                      <option value="categorical">categorical</option>
                    </select>
                  </td>
                  {cell("low")}
                  {cell("high")}
                  <td>
                    <input
                      type="checkbox"
                      checked={p.log}
                      disabled={p.type === "categorical"}
                      onChange={(e) => setParam(p.key, { log: e.target.checked })}
                      aria-label={`${p.name} log`}
                    />
                  </td>
                  {cell("step")}
                  <td>
                    <input
                      value={p.choices}
                      disabled={p.type !== "categorical"}
                      onChange={(e) => setParam(p.key, { choices: e.target.value })}
                      aria-label={`${p.name} choices`}
                      placeholder={p.type === "categorical" ? "relu, gelu" : ""}
                    />
                  </td>
                  <td>
                    <button
                      className="btn-sm"
                      onClick={() => onChange({ ...form, params: form.params.filter((q) => q.key !== p.key) })}
                      aria-label={`remove ${p.name}`}
                    >
                      ✕
                    </button>
                  </td>
                </tr>,
                rowIssues.length ? (
                  <tr key={`${p.key}-err`}>
                    <td colSpan={8} style={{ borderTop: "none", paddingTop: 0 }}>
                      {rowIssues.map((i, k) => (
                        <Err key={k} msg={i.message} path={i.path} />
                      ))}
                    </td>
                  </tr>
                ) : null,
              ];
            })}
          </tbody>
        </table>
      </div>
      {spaceLevel.map((i, k) => (
        <Err key={k} msg={i.message} path={i.path} />
      ))}
      <button
        className="btn-sm"
        onClick={() => onChange({ ...form, params: [...form.params, emptyParam()] })}
        style={{ marginBottom: 16 }}
      >
        + Add parameter
      </button>

      <div className="grid-2">
        <div className="row" style={{ alignItems: "flex-start" }}>
          <div className="field" style={{ flex: 1 }}>
            <label htmlFor="f-sampler">Sampler</label>
            <select id="f-sampler" value={form.sampler} onChange={(e) => set("sampler", e.target.value)}>
              {SAMPLER_NAMES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
            <div className="help">
              auto picks GP, TPE or CMA-ES for the space and the study&apos;s phase; the pruner and run section are edited in
              YAML.
            </div>
          </div>
          <div style={{ width: 140 }}>{field("sampler.seed", "Seed", form.seed, "seed", { placeholder: "random" })}</div>
        </div>
        <div className="row" style={{ alignItems: "flex-start" }}>
          <div style={{ flex: 1 }}>{field("budget.max_trials", "Max trials", form.maxTrials, "maxTrials")}</div>
          <div style={{ flex: 1 }}>{field("budget.max_parallel", "Max parallel", form.maxParallel, "maxParallel")}</div>
          <div style={{ flex: 1 }}>
            {field("budget.timeout_minutes", "Timeout (min)", form.timeoutMinutes, "timeoutMinutes", { placeholder: "none" })}
          </div>
          <div style={{ flex: 1 }}>
            {field("budget.lease_minutes", "Ask lease (min)", form.leaseMinutes, "leaseMinutes", { placeholder: "10" })}
          </div>
        </div>
      </div>
      {other.map((i, k) => (
        <Err key={k} msg={i.message} path={i.path} />
      ))}
    </div>
  );
}
