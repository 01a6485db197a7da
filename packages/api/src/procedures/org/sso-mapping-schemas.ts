import { z } from "zod";
import { zText } from "../shared.js";

/** Owner is never granted by a mapping: a provider-side group change must not hand over a team. */
export const zSsoRole = z.enum(["admin", "member", "viewer"]);

export const ZSsoMapping = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("email_domain"),
      value: zText(253, 1)
        .transform((v) => v.toLowerCase().replace(/^@/, ""))
        .refine(
          (v) => /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(v),
          "must be a domain like example.com",
        ),
      role: zSsoRole,
    })
    .strict(),
  z.object({ kind: z.literal("group"), value: zText(200, 1), role: zSsoRole }).strict(),
]);

/** 100 rows: more than any team maps by hand, few enough that the sign-in lookup stays one index scan. */
export const ZSsoMappings = z
  .array(ZSsoMapping)
  .max(100, "must have at most 100 mappings")
  .refine(
    (ms) => new Set(ms.map((m) => `${m.kind}\u0000${m.value}`)).size === ms.length,
    "must not map the same domain or group twice",
  );

export const ZSsoMappingsOutput = z.array(
  z.object({ kind: z.enum(["email_domain", "group"]), value: z.string(), role: zSsoRole }),
);
