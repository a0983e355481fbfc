/**
 * Settings the worker runs with under test. Test-only values, generated for this suite and
 * used nowhere else; the servers' URLs come from the global setup.
 */
export const TEST_SECRETS = {
  PORTAL_SIGNING_SECRET: 'whsec_dGVzdC1wb3J0YWwtc2lnbmluZy1zZWNyZXQtMDAwMQ==',
  PORTAL_SIGNING_SECRET_ROTATED: 'whsec_cm90YXRlZC1wb3J0YWwtc2VjcmV0LTAwMDAwMDI=',
  NOTIFY_SIGNING_SECRET: 'whsec_dGVzdC1ub3RpZnktc2lnbmluZy1zZWNyZXQtMDAwMDM=',
  ADMIN_API_TOKEN: 'test-admin-token-1',
  ADMIN_API_TOKEN_2: 'test-admin-token-2',
  UNSUBSCRIBE_SIGNING_KEY: 'test-unsubscribe-signing-key-new-0001',
  UNSUBSCRIBE_SIGNING_KEY_OLD: 'test-unsubscribe-signing-key-old-0001',
};

export const N2G_CREDENTIALS = {
  authKey: 'testkey_abc123:s3cr3t',
  username: 'api@publisher.example',
  password: 'emulator-password',
};

/** What alerts are signed with in a lane with an alert receiver (openLane({ alerts: true })). */
export const ALERT_TEST_SECRET = 'whsec_dGVzdC1hbGVydC1zaWduaW5nLXNlY3JldC0wMDAwMDE=';

/** The Brevo emulator's key in lanes with a Brevo account (test-only, never a real key). */
export const BREVO_TEST_KEY = `xkeysib-${'7'.repeat(64)}-laneemulator0001`;

interface TestList {
  id: string;
  name: string;
}

/** Lists the emulator starts with (Newsletter2Go ids: 8 lowercase alphanumerics). */
export const TEST_LISTS: readonly [TestList, TestList, TestList] = [
  { id: 'wkly0001', name: 'Weekly digest' },
  { id: 'brkn0002', name: 'Breaking news' },
  { id: 'spare003', name: 'Spare list' },
];
