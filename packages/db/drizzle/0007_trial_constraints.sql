ALTER TABLE "trials" ADD COLUMN "constraint_values" jsonb;--> statement-breakpoint
ALTER TABLE "trials" ADD COLUMN "feasible" boolean;