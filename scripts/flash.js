#!/usr/bin/env node
// npm run flash -- --port PORT [--chip esp32|esp32c3|esp32s3] [--build DIR] [--baud N]
// Writes the images mcconfig built to an ESP32 over serial with esptool-js, then verifies
// them by MD5. See docs/flashing.md and scripts/flash/.
import { run } from './flash/cli.js';

process.exitCode = await run(process.argv.slice(2));
