import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { stringify } from "csv-stringify/sync";
import { exportCsvHeader, exportCsvRow, nullEvents, openStudyExport, type TStudyExport } from "@autoglm/api";
import { downloaderOf, type ArtifactDownloadDeps } from "./artifact-download.js";
import { sendJson } from "./sign-in-guard.js";
import { dispositionOf, sendApiRefusal } from "./verified-download.js";

/**
 * `GET /api/studies/:studyId/export?format=csv|json[&org=<team>]`: every trial of a study, for a
 * signed-in member (session cookie; `org` names the team) or an API token with the read scope;
 * another team's study answers 404 like a missing one (S1, S11). The body streams: trials are
 * read 1,000 at a time by number and each batch is written before the next is read, at the
 * pace the client takes them, so a 100,000-trial study never sits in memory.
 * `X-Autoglm-Trial-Count` says how many trials to expect (the CLI's progress).
 */
export const STUDY_EXPORT_PREFIX = "/api/studies/";
const PATH_RE = /^\/api\/studies\/([^/]+)\/export$/;
const FORMATS = ["csv", "json"] as const;
type TFormat = (typeof FORMATS)[number];

// csv-stringify writes booleans as "1" and ""; a parameter `true` should read back as `true`.
const CSV_OPTIONS = { cast: { boolean: (v: boolean) => String(v) } };

async function* csvChunks(exp: TStudyExport): AsyncGenerator<string> {
  yield stringify([exportCsvHeader(exp.columns)], CSV_OPTIONS);
  for await (const batch of exp.trials())
    yield stringify(
      batch.map((t) => exportCsvRow(t, exp.columns)),
      CSV_OPTIONS,
    );
}

/** One JSON document, one trial per line (so a reader can count lines for progress). */
async function* jsonChunks(exp: TStudyExport): AsyncGenerator<string> {
  yield `{"study":${JSON.stringify(exp.study)},"trials":[`;
  let first = true;
  for await (const batch of exp.trials()) {
    const lines = batch.map((t) => JSON.stringify(t)).join(",\n");
    yield `${first ? "\n" : ",\n"}${lines}`;
    first = false;
  }
  yield "\n]}\n";
}

function fileNameOf(studyName: string, format: TFormat): string {
  const base = studyName.replace(/[^\w.-]+/g, "-").replace(/^-+|-+$/g, "") || "study";
  return `${base}-trials.${format}`;
}

export function createStudyExport(deps: Pick<ArtifactDownloadDeps, "db" | "session">) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (req.method !== "GET") {
      return sendJson(res, 405, { error: { code: "METHOD", message: "Studies are exported with GET." } });
    }
    const m = PATH_RE.exec(url.pathname);
    if (!m) return sendJson(res, 404, { error: { code: "NOT_FOUND", message: "Not found." } });
    const format = url.searchParams.get("format") ?? "csv";
    if (!(FORMATS as readonly string[]).includes(format)) {
      return sendJson(res, 400, {
        error: { code: "BAD_REQUEST", message: `format must be csv or json, not "${format.slice(0, 20)}".` },
      });
    }
    let exp: TStudyExport;
    try {
      exp = await openStudyExport({ db: deps.db, events: nullEvents }, await downloaderOf(deps, req, url), {
        studyId: m[1]!,
      });
    } catch (err) {
      if (sendApiRefusal(res, err)) return;
      throw err;
    }
    res.writeHead(200, {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
      "content-disposition": dispositionOf(fileNameOf(exp.study.name, format as TFormat)),
      "cache-control": "no-store",
      "x-autoglm-trial-count": String(exp.columns.total),
    });
    // A client that goes away ends the pipeline, which returns the generator: no further batch is read.
    await pipeline(Readable.from(format === "csv" ? csvChunks(exp) : jsonChunks(exp)), res).catch(() => res.destroy());
  };
}
