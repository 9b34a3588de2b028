// What a child process the tests spawn takes from the machine rather than from the test: where
// programs are, the home directory, and the machine's clock. The tests give their children a
// minimal environment so nothing of the parent's configuration leaks in; the clock is not
// configuration. Under scripts/faked-date-suite.sh the machine's wall clock is libfaketime's
// (LD_PRELOAD and FAKETIME*), and a service child must read the same time as the test that
// signs its webhooks and moves its business clock, as two machines kept in step by NTP do.
export function machineEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && (k === 'PATH' || k === 'HOME' || k === 'LD_PRELOAD' || k.startsWith('FAKETIME'))) env[k] = v;
  }
  return env;
}
