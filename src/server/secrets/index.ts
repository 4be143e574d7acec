/**
 * Secrets on the control plane: values encrypted at rest (crypto.ts, keyring.ts),
 * held decrypted in memory and redacted from what is stored and shown
 * (vault.ts), and each agent's definitions with only the files and secret
 * values its host is in scope for (delivery.ts). docs/security.md "## Secrets".
 */
export type { AgentDefinitions, Scope } from './delivery.js';
export { DefinitionDelivery, selects } from './delivery.js';
export type { SecretStatus } from './vault.js';
export { MAX_SECRET_BYTES, SecretVault } from './vault.js';
export { PREVIOUS_SECRET_KEY_ENV, SECRET_KEY_ENV, SECRET_KEY_FILE } from './keyring.js';
