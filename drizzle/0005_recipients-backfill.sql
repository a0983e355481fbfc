-- Custom migration (drizzle-kit generate --custom): the recipient each subscription knows today
-- becomes its first owned recipient, so cancellations and erasures after the upgrade reach it.
INSERT OR IGNORE INTO `recipients` (`subscription_id`, `list_id`, `recipient_id`, `created_at`, `updated_at`)
SELECT `id`, `list_id`, `recipient_id`, `updated_at`, `updated_at` FROM `subscriptions`
WHERE `list_id` IS NOT NULL AND `recipient_id` IS NOT NULL;
