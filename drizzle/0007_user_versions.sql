CREATE TABLE `user_versions` (
	`user_id` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	CONSTRAINT "stale_read" CHECK("user_versions"."version" >= 1)
);
--> statement-breakpoint
CREATE TABLE `write_guards` (
	`ok` integer NOT NULL,
	CONSTRAINT "stale_read" CHECK("write_guards"."ok" = 1)
);
