CREATE TABLE "endpoint_load" (
	"endpoint_id" uuid NOT NULL,
	"server_id" text NOT NULL,
	"concurrency" double precision NOT NULL,
	"rps" double precision NOT NULL,
	"replica_load" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"sampled_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "endpoint_load_endpoint_id_server_id_pk" PRIMARY KEY("endpoint_id","server_id")
);
--> statement-breakpoint
ALTER TABLE "endpoints" ADD COLUMN "target_concurrency" double precision DEFAULT 4 NOT NULL;--> statement-breakpoint
ALTER TABLE "endpoints" ADD COLUMN "scale_down_delay_ms" integer DEFAULT 60000 NOT NULL;--> statement-breakpoint
ALTER TABLE "endpoints" ADD COLUMN "desired_replicas" integer;--> statement-breakpoint
ALTER TABLE "endpoints" ADD COLUMN "scale_reason" text;--> statement-breakpoint
ALTER TABLE "endpoints" ADD COLUMN "scale_low_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "endpoints" ADD COLUMN "scale_low_peak" integer;--> statement-breakpoint
ALTER TABLE "endpoint_load" ADD CONSTRAINT "endpoint_load_endpoint_id_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."endpoints"("id") ON DELETE cascade ON UPDATE no action;