// The host's `log` for a connector running under plain Node (see register.js): every line is
// kept in `logged` (tests may assert on them) and printed to stderr when
// JUNCTION_NATIVE_LOG is set.

export const logged = [];

export function log(level, message, fields) {
  logged.push({ level, message, fields });
  if (process.env.JUNCTION_NATIVE_LOG) {
    console.error(`[${level}] ${message}`, Object.fromEntries(fields ?? []));
  }
}
