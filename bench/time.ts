/**
 * Waiting and reading the wall clock, for the benches and for processes that must not load the
 * rest of bench/lib.ts (the peers' trial processes: bench/peers/trial.ts).
 */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function sleepUntil(epochMs: number): Promise<void> {
	const wait = epochMs - Date.now();
	if (wait > 0) await sleep(wait);
}

// Wall-clock milliseconds with sub-millisecond resolution; Date.now() if the monotonic clock
// and the wall clock have drifted apart since the process started.
const precise = Math.abs(performance.timeOrigin + performance.now() - Date.now()) < 5;
export const nowMs = (): number => (precise ? performance.timeOrigin + performance.now() : Date.now());
