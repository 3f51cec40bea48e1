// Reconnect delays: exponential with jitter, capped, so a node that comes back is not hit
// by every client at the same instant (the "full jitter" of the AWS architecture blog,
// kept above half the step so the delay still grows visibly).

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 30000, factor: 2 };

/** The delay before reconnect attempt `attempt` (0 = the first retry); `random` in [0, 1). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: number): number {
  const step = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.factor, Math.max(0, attempt)));
  return Math.round(step / 2 + (step / 2) * random);
}
