// The portable AuthCrypto: what the core uses when the platform hands in nothing better
// (the device, and XS in `npm run xs-check`).
import type { AuthCrypto } from '../host.js';
import { p256PublicKey, p256SharedSecret } from './p256.js';
import { sha256 } from './sha256.js';

export const PORTABLE_AUTH_CRYPTO: AuthCrypto = { p256PublicKey, p256SharedSecret, sha256 };
