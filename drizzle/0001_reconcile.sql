CREATE TABLE `reconciliation_seen` (
	`run_id` text NOT NULL,
	`subscription_id` text NOT NULL,
	PRIMARY KEY(`run_id`, `subscription_id`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reconciliation_runs_one_running_uq` ON `reconciliation_runs` (`status`) WHERE "reconciliation_runs"."status" = 'running';