// The browser the page tests drive: Debian's chromium (CI installs it with apt), or $CHROMIUM.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`the web page tests need chromium at ${executablePath}: apt-get install chromium (Debian), or set CHROMIUM=/path/to/chromium`);
  }
  return chromium.launch({ executablePath, args: ['--no-sandbox'] });
}
