CREATE TABLE `transfer_pause` (
	`id` integer PRIMARY KEY NOT NULL,
	`reason` text NOT NULL,
	`paused_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "single_pause" CHECK("transfer_pause"."id" = 1)
);
