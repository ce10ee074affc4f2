/**
 * The run ledger: every state change of a run is one SQL statement here, and the database's
 * constraints decide every race between instances (docs/architecture.md, "Invariants"). One
 * family of statements per module: ticks, the queue, settling.
 */
export { historyOrder, inKeyOrder, type ClaimedRun, type Tick } from './columns';
export { claimTicks, markStarted, owedSince, recordOverlapSkips, recordUnrun, type TickClaim, type UnrunTick } from './ticks';
export { cancelReplaced, claimQueued, claimRun, enqueue, isSlotRace, nextQueuedAt, type EnqueueInput, type QueueClaim } from './queue';
export {
	cancelExecution,
	cancelled,
	reapExpiredLeases,
	renewLeases,
	settle,
	writeOutputs,
	type Outcome,
	type ProcessStats,
	type SettleClaim,
	type Settled
} from './settle';
