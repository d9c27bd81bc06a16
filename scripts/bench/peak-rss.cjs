// Preloaded (node --require) into a benchmarked child: at exit, prints its peak resident
// set size as one JSON line on stderr for the parent to read.
process.on('exit', () => {
  process.stderr.write(`${JSON.stringify({ peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
});
