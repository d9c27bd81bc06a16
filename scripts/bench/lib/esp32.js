// How the benchmarks turn xsnap CPU time into an ESP32 estimate (see device.js's header for
// the CoreMark figures behind these numbers). Shared by device.js and hap.js.

export const ESP32_COREMARK = 351;
export const HOST_COREMARK_AT_CALIBRATION = 33_500;
/**
 * refLoopCpuUs on the machine where the CoreMark above was measured (104,800-106,900 µs
 * in 28 runs; being on-CPU time it hardly moves with load, unlike CoreMark's wall clock,
 * which fell to 24,000-28,800 while other jobs ran: the 33,500 is from an idle machine).
 */
export const REF_LOOP_CPU_US_AT_CALIBRATION = 105_000;

/** How many times one core here is faster than an ESP32 core at 240 MHz (BENCH_ESP32_FACTOR overrides). */
export function esp32Factor(refLoopCpuUs) {
  return Number(process.env.BENCH_ESP32_FACTOR)
    || (HOST_COREMARK_AT_CALIBRATION / ESP32_COREMARK) * (REF_LOOP_CPU_US_AT_CALIBRATION / refLoopCpuUs);
}
