CREATE TABLE `event_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`kind` text NOT NULL,
	`user_id` text,
	`subscription_id` text,
	`event_id` text,
	`outcome` text,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `event_log_user_idx` ON `event_log` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `event_log_at_idx` ON `event_log` (`at`);--> statement-breakpoint
CREATE INDEX `event_log_kind_idx` ON `event_log` (`kind`,`at`);--> statement-breakpoint
CREATE TABLE `newsletters` (
	`newsletter_id` text PRIMARY KEY NOT NULL,
	`list_id` text NOT NULL,
	`name` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `notices` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`user_id` text NOT NULL,
	`subscription_id` text,
	`body` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`last_error` text,
	`last_status` integer,
	`created_at` integer NOT NULL,
	`delivered_at` integer
);
--> statement-breakpoint
CREATE INDEX `notices_status_idx` ON `notices` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `notices_user_idx` ON `notices` (`user_id`);--> statement-breakpoint
CREATE TABLE `provider_sessions` (
	`provider` text PRIMARY KEY NOT NULL,
	`access_token` text,
	`refresh_token` text,
	`expires_at` integer,
	`lock_until` integer,
	`login_error` text,
	`login_error_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `received_events` (
	`event_id` text PRIMARY KEY NOT NULL,
	`body_hash` text NOT NULL,
	`user_id` text,
	`response_status` integer NOT NULL,
	`response_body` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `received_events_user_idx` ON `received_events` (`user_id`);--> statement-breakpoint
CREATE INDEX `received_events_at_idx` ON `received_events` (`received_at`);--> statement-breakpoint
CREATE TABLE `reconciliation_findings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` text NOT NULL,
	`drift_class` text NOT NULL,
	`newsletter_id` text,
	`user_id` text,
	`subscription_id` text,
	`recipient_id` text,
	`email` text,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `reconciliation_findings_run_idx` ON `reconciliation_findings` (`run_id`,`drift_class`,`id`);--> statement-breakpoint
CREATE TABLE `reconciliation_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`mode` text NOT NULL,
	`status` text NOT NULL,
	`trigger` text NOT NULL,
	`cursor` text,
	`counts` text NOT NULL,
	`provider_calls` integer DEFAULT 0 NOT NULL,
	`error` text,
	`started_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `reconciliation_runs_started_idx` ON `reconciliation_runs` (`started_at`);--> statement-breakpoint
CREATE TABLE `subscribers` (
	`user_id` text PRIMARY KEY NOT NULL,
	`email` text,
	`first_name` text DEFAULT '' NOT NULL,
	`last_name` text DEFAULT '' NOT NULL,
	`gender` text DEFAULT '' NOT NULL,
	`profile_at` integer DEFAULT 0 NOT NULL,
	`deleted_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `subscribers_email_idx` ON `subscribers` (lower("email"));--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`newsletter_id` text NOT NULL,
	`state` text NOT NULL,
	`state_at` integer NOT NULL,
	`state_by` text NOT NULL,
	`resubscribe` integer DEFAULT false NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`synced_version` integer DEFAULT 0 NOT NULL,
	`list_id` text,
	`recipient_id` text,
	`lookup_email` text,
	`create_intent_at` integer,
	`transfer_status` text DEFAULT 'pending' NOT NULL,
	`pending_since` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_attempt_at` integer,
	`next_attempt_at` integer,
	`synced_at` integer,
	`error_message` text,
	`error_code` text,
	`error_http_status` integer,
	`error_at` integer,
	`conflict` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_user_newsletter_uq` ON `subscriptions` (`user_id`,`newsletter_id`);--> statement-breakpoint
CREATE INDEX `subscriptions_newsletter_idx` ON `subscriptions` (`newsletter_id`,`id`);--> statement-breakpoint
CREATE INDEX `subscriptions_transfer_idx` ON `subscriptions` (`transfer_status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `subscriptions_recipient_idx` ON `subscriptions` (`list_id`,`recipient_id`);