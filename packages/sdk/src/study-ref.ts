import { AutoglmError } from "./errors.js";

/** What picking a study by reference needs to know of each of the team's studies. */
export interface StudyRefCandidate {
  id: string;
  name: string;
  projectId: string;
  createdAt: string;
}

/** An id prefix: hex digits and dashes, at least 4 characters (as git and docker take them). */
const ID_PREFIX = /^[0-9a-f][0-9a-f-]{3,35}$/i;

/** How many studies an error lists before it says "…". */
const LISTED = 8;

/**
 * Picks the study a person meant by `ref` among `candidates` (the team's studies, or one
 * project's): its exact name, else `project-slug/name`, else a unique prefix of its id. A name
 * used by several studies of one project means the newest (as `apply` and the Python SDK's
 * `load_study` read it); a name found in several projects, or a prefix of several ids, is
 * ambiguous and the error lists them as `slug/name (id)`.
 */
export function pickStudy(ref: string, candidates: readonly StudyRefCandidate[], slugOf: (projectId: string) => string): string {
  const label = (s: StudyRefCandidate) => `${slugOf(s.projectId)}/${s.name} (${s.id})`;
  const byName = candidates.filter((s) => s.name === ref);
  const named = byName.length > 0 ? byName : byProjectAndName(ref, candidates, slugOf);
  if (named.length > 0) {
    const projects = new Set(named.map((s) => s.projectId));
    if (projects.size > 1) {
      throw ambiguous(
        `a study named "${ref}" is in ${projects.size} projects`,
        named.map(label),
        "give it as PROJECT/NAME or by id",
      );
    }
    return newest(named).id;
  }
  if (ID_PREFIX.test(ref)) {
    const prefix = ref.toLowerCase();
    const hits = candidates.filter((s) => s.id.startsWith(prefix));
    if (hits.length === 1) return hits[0]!.id;
    if (hits.length > 1)
      throw ambiguous(`${hits.length} studies have ids starting "${ref}"`, hits.map(label), "give more of the id");
  }
  const known = [...new Set(candidates.map((s) => s.name))];
  const shown = known.slice(0, LISTED).join(", ") + (known.length > LISTED ? ", …" : "");
  throw new AutoglmError(
    "STUDY_NOT_FOUND",
    `no study "${ref}" (by name, PROJECT/NAME or id)${known.length ? `; studies: ${shown}` : "; there are no studies yet"}`,
  );
}

function byProjectAndName(
  ref: string,
  candidates: readonly StudyRefCandidate[],
  slugOf: (projectId: string) => string,
): StudyRefCandidate[] {
  const slash = ref.indexOf("/");
  if (slash <= 0) return [];
  const slug = ref.slice(0, slash);
  const name = ref.slice(slash + 1);
  return candidates.filter((s) => s.name === name && slugOf(s.projectId) === slug);
}

function newest(studies: readonly StudyRefCandidate[]): StudyRefCandidate {
  return studies.reduce((a, b) => (Date.parse(b.createdAt) > Date.parse(a.createdAt) ? b : a));
}

function ambiguous(what: string, labels: string[], hint: string): AutoglmError {
  const shown = labels.slice(0, LISTED).join(", ") + (labels.length > LISTED ? ", …" : "");
  return new AutoglmError("STUDY_AMBIGUOUS", `${what}: ${shown}; ${hint}`);
}

/** `STUDY#N`: a study reference and a trial number, as `agent list` prints running trials. */
export function splitTrialRef(ref: string): { study: string; number: number } | null {
  const m = /^(.+)#(\d{1,9})$/.exec(ref);
  return m ? { study: m[1]!, number: Number(m[2]) } : null;
}
