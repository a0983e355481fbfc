CREATE TABLE `recipients` (
	`subscription_id` text NOT NULL,
	`list_id` text NOT NULL,
	`recipient_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`subscription_id`, `list_id`)
);
--> statement-breakpoint
CREATE INDEX `recipients_list_idx` ON `recipients` (`list_id`,`recipient_id`);