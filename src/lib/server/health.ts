import { runtime } from './runtime';

export type HealthReport = {
	status: 'ok' | 'degraded';
	db: 'up' | 'down';
	role: string;
	instanceId: string;
	uptimeSeconds: number;
	scheduler: Record<string, unknown>;
};

/** SPEC §8.4: 200 with db "up", 503 while the database is unreachable. */
export async function health(): Promise<HealthReport> {
	const rt = runtime();
	const up = await rt.database.ping();
	return {
		status: up ? 'ok' : 'degraded',
		db: up ? 'up' : 'down',
		role: rt.config.cronRole,
		instanceId: rt.config.instanceId,
		uptimeSeconds: Math.round((Date.now() - rt.startedAt.getTime()) / 1000),
		scheduler: rt.scheduler.status()
	};
}
