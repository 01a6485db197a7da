import { randomUUID } from "node:crypto";
import pg from "pg";
import type { TStudySpec } from "@autoglm/protocol";
import { createDb, type DbHandle } from "./client.js";
import { insertOrgWithOwner, insertProject, insertStudy, insertUser, slugify } from "./queries/index.js";
import type { TenantScope } from "./queries/scope.js";

/**
 * A fresh, migrated database per test file: PGlite in memory by default, or — when
 * DATABASE_URL is set — a database cloned from a migrated template on that server
 * (CREATE DATABASE … TEMPLATE is far faster than migrating each time).
 */
export interface TestDb extends DbHandle {
  /** The connection URL of the fresh database (pg only), for child processes. */
  url?: string;
  drop(): Promise<void>;
}

const TEMPLATE = "autoglm_test_template";

export async function createTestDb(options: { url?: string; poolSize?: number } = {}): Promise<TestDb> {
  const baseUrl = options.url ?? process.env.DATABASE_URL;
  if (!baseUrl) {
    const handle = await createDb({ dataDir: "memory://" });
    return { ...handle, drop: () => handle.close() };
  }
  await ensureTemplate(baseUrl);
  const name = `autoglm_test_${randomUUID().replace(/-/g, "").slice(0, 16)}`;
  await withAdmin(baseUrl, async (c) => {
    // CREATE DATABASE … TEMPLATE fails if another session is connected to the template.
    for (let i = 0; ; i++) {
      try {
        await c.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
        break;
      } catch (err) {
        if (i >= 20 || !String(err).includes("is being accessed")) throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  });
  const url = withDatabase(baseUrl, name);
  const handle = await createDb({ url, migrate: false, poolSize: options.poolSize ?? 5 });
  return {
    ...handle,
    url,
    async drop() {
      await handle.close();
      await withAdmin(baseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

let templateReady: Promise<void> | undefined;

function ensureTemplate(baseUrl: string): Promise<void> {
  templateReady ??= (async () => {
    await withAdmin(baseUrl, async (c) => {
      // Serialize template creation across parallel test workers.
      await c.query("SELECT pg_advisory_lock(7346921106)");
      try {
        const exists = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [TEMPLATE]);
        if (exists.rowCount === 0) await c.query(`CREATE DATABASE ${TEMPLATE}`);
        const handle = await createDb({ url: withDatabase(baseUrl, TEMPLATE), poolSize: 1 });
        await handle.close();
      } finally {
        await c.query("SELECT pg_advisory_unlock(7346921106)");
      }
    });
  })();
  return templateReady;
}

async function withAdmin<T>(baseUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * A user, their team and a project holding one study, for the query tests. `spec` carries only
 * what the statement under test reads (the budget, `run`); nothing here parses the rest.
 */
export async function seedStudy(
  db: DbHandle,
  tag: string,
  spec: Record<string, unknown> = {},
): Promise<{ userId: string; scope: TenantScope; projectId: string; studyId: string }> {
  const user = (await insertUser(db.db, { email: `${tag}@queries.test`, name: tag, passwordHash: "h" }))!;
  const org = await insertOrgWithOwner(db.db, { name: tag, slug: slugify(tag), ownerId: user.id });
  const scope: TenantScope = { orgId: org.id };
  const project = (await insertProject(db.db, scope, { name: "p", slug: "p", description: null }))!;
  const study = await insertStudy(db.db, scope, {
    projectId: project.id,
    name: "s",
    spec: spec as unknown as TStudySpec,
    direction: "minimize",
    metric: "loss",
    createdBy: user.id,
  });
  return { userId: user.id, scope, projectId: project.id, studyId: study.id };
}
