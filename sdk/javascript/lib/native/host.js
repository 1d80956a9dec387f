// The host's `log` and `reportBudget` for a connector running under plain Node (see
// register.js): every line is kept in `logged` and every budget report in `budgetReports`
// (tests may assert on them); lines are printed to stderr when JUNCTION_NATIVE_LOG is set.

export const logged = [];
export const budgetReports = [];

export function reportBudget(report) {
  budgetReports.push(report);
}

export function log(level, message, fields) {
  logged.push({ level, message, fields });
  if (process.env.JUNCTION_NATIVE_LOG) {
    console.error(`[${level}] ${message}`, Object.fromEntries(fields ?? []));
  }
}
