// The HomeKit setup code ("XXX-XX-XXX", the SRP password of pair-setup): Tasmota MI32's
// rule from the Wi-Fi MAC unless the user set one, and the codes the HAP spec forbids.
// (wt-h2 extends this module with the setup ID, the X-HM:// URI and the setup hash.)

const FORBIDDEN = new Set(['12345678', '87654321', ...Array.from({ length: 10 }, (_, d) => String(d).repeat(8))]);
const FORMAT = /^\d{3}-\d{2}-\d{3}$/;

/** Why `code` cannot be a setup code, or undefined when it can. */
export function setupCodeProblem(code: string): string | undefined {
  if (!FORMAT.test(code)) return 'a setup code is 8 digits written XXX-XX-XXX';
  if (FORBIDDEN.has(code.replace(/-/g, ''))) return `${code} is one of the codes the HomeKit spec forbids (all one digit, 123-45-678, 876-54-321)`;
  return undefined;
}

/**
 * Tasmota's MI32getSetupCodeFromMAC: the first 10 hex digits of the MAC, each not 1-9
 * becoming '1', dashes at 3 and 6 ("AABBCC1234F2" -> "111-11-234"). When that lands on a
 * forbidden code (a MAC without digits 1-9 gives 111-11-111), the last digit is moved
 * on by one, so the code stays derivable from the MAC and is never refused by iOS.
 */
export function setupCodeFromMac(mac: string): string {
  const hex = mac.replace(/[^0-9a-fA-F]/g, '').toUpperCase().padEnd(12, '0');
  const chars = [...hex.slice(0, 10)].map((c) => (c >= '1' && c <= '9' ? c : '1'));
  chars[3] = '-';
  chars[6] = '-';
  let code = chars.join('');
  if (setupCodeProblem(code)) code = code.slice(0, 9) + String((Number(code[9]) % 9) + 1);
  return code;
}
