CREATE TABLE `alert_states` (
	`condition` text PRIMARY KEY NOT NULL,
	`since` integer NOT NULL,
	`detail` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `notices` ADD `destination` text DEFAULT 'portal' NOT NULL;