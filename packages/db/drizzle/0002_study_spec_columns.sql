ALTER TABLE "studies" ADD COLUMN "runs_on_agents" boolean GENERATED ALWAYS AS ((spec #>> '{run,command}') IS NOT NULL OR (spec #> '{run,builtin}') IS NOT NULL) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "studies" ADD COLUMN "gpus_needed" integer GENERATED ALWAYS AS (coalesce((spec #>> '{run,resources,gpus}')::int, 0)) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "studies" ADD COLUMN "memory_mb_needed" double precision GENERATED ALWAYS AS ((spec #>> '{run,resources,memory_gb}')::float8 * 1024) STORED;--> statement-breakpoint
ALTER TABLE "studies" ADD COLUMN "labels_needed" jsonb GENERATED ALWAYS AS (coalesce(spec #> '{run,resources,labels}', '{}'::jsonb)) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "studies" ADD COLUMN "max_attempts" integer GENERATED ALWAYS AS (coalesce((spec #>> '{budget,max_attempts}')::int, 3)) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "studies" ADD COLUMN "max_trials" integer GENERATED ALWAYS AS (coalesce((spec #>> '{budget,max_trials}')::int, 100)) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "studies" ADD COLUMN "max_parallel" integer GENERATED ALWAYS AS (coalesce((spec #>> '{budget,max_parallel}')::int, 4)) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "studies" ADD COLUMN "max_failures" integer GENERATED ALWAYS AS ((spec #>> '{budget,max_failures}')::int) STORED;--> statement-breakpoint
ALTER TABLE "studies" ADD COLUMN "pruner_name" text GENERATED ALWAYS AS (coalesce(spec #>> '{pruner,name}', 'none')) STORED NOT NULL;