import { z } from "zod";
import { orgProcedure } from "../../trpc.js";
import { loadEndpoint } from "../../endpoints/changes.js";
import { deployStudyBest, ZDeployInput } from "../../endpoints/deploy.js";
import { endpointDetail, SERVE_PROTOCOLS, ZEndpointDetail } from "../../endpoints/views.js";

export const ZDeployOutput = z.object({
  /** The base URL every protocol path hangs from (`<server>/serve/<team>/<endpoint>`). */
  url: z.string(),
  /** A new endpoint key, shown this once; null when none was asked for. */
  key: z.string().nullable(),
  keyId: z.string().nullable(),
  model: z.string(),
  version: z.number().int(),
  protocols: z.array(z.enum(SERVE_PROTOCOLS)),
  /** Whether the endpoint was created (false: an existing one moved to the new version). */
  created: z.boolean(),
  endpoint: ZEndpointDetail,
});

/** "Deploy best" (study page, `autoglm deploy`): register, move `production`, create or update the endpoint. Audited. */
export const deployEndpoint = orgProcedure("member")
  .input(ZDeployInput)
  .output(ZDeployOutput)
  .mutation(async ({ ctx, input }) => {
    const caller = { scope: ctx.scope, actor: ctx.actor, email: ctx.principal.user.email };
    const r = await deployStudyBest({ db: ctx.db, artifacts: ctx.artifacts }, caller, input, ctx.options.clock.now());
    ctx.options.webhooks?.onQueued?.();
    ctx.runLoop?.servingChanged?.();
    const row = await loadEndpoint(ctx.db.db, ctx.scope, r.endpointName);
    const endpoint = await endpointDetail(ctx.db.db, ctx.scope, row, {
      publicUrl: ctx.options.publicUrl,
      flavor: row.targetFlavor,
    });
    return {
      url: endpoint.url,
      key: r.key?.key ?? null,
      keyId: r.key?.id ?? null,
      model: r.model,
      version: r.version,
      protocols: endpoint.protocols,
      created: r.created,
      endpoint,
    };
  });
