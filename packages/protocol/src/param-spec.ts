import { z } from "zod";

const ZChoice = z.union([z.string().max(200), z.number().finite(), z.boolean()]);
const ZWhen = z.record(z.string(), z.union([ZChoice, z.array(ZChoice).min(1).max(100)]));

const ZFloatParam = z
  .object({
    type: z.literal("float"),
    low: z.number().finite(),
    high: z.number().finite(),
    log: z.boolean().optional(),
    step: z.number().finite().positive().optional(),
    when: ZWhen.optional(),
  })
  .strict();

const ZIntParam = z
  .object({
    type: z.literal("int"),
    low: z.number().int(),
    high: z.number().int(),
    log: z.boolean().optional(),
    step: z.number().int().positive().optional(),
    when: ZWhen.optional(),
  })
  .strict();

const ZCategoricalParam = z
  .object({
    type: z.literal("categorical"),
    choices: z.array(ZChoice).min(1, "needs at least one choice").max(1000),
    when: ZWhen.optional(),
  })
  .strict();

/** One parameter of a study's search space: a float, an int or a categorical, each optionally conditional (`when`). */
export const ZParamSpec = z.discriminatedUnion("type", [ZFloatParam, ZIntParam, ZCategoricalParam], {
  errorMap: (issue, ctx) =>
    issue.code === "invalid_union_discriminator"
      ? { message: "type must be one of float, int, categorical" }
      : { message: ctx.defaultError },
});
export type TParamSpec = z.infer<typeof ZParamSpec>;
