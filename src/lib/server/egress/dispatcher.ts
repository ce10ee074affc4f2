/**
 * The HTTP client of `http` jobs: an undici Agent whose every connection (the first request and
 * each redirect hop alike) is checked against the egress policy at connect time, on the address
 * actually dialled: IP literals before connecting, host names through the DNS lookup that feeds
 * the socket (so a name cannot resolve to one address when checked and another when used).
 *
 * No library timeout applies (undici's connect 10 s, headers and body 300 s by default): a run
 * lasts until its own `timeoutMs`, whose AbortSignal ends the request.
 */
import dns from 'node:dns';
import net, { type LookupFunction } from 'node:net';
import type { Agent } from 'undici';
import { EgressBlocked, type EgressPolicy } from './policy';

/**
 * undici, loaded at the first request (an http run, a webhook): a worker that makes none does
 * not hold it in memory (docs/architecture.md, "Idle cost").
 */
export const undici = () => import('undici');

/** Options of the agent: no connect, headers or body timeout of its own. */
export const AGENT_TIMEOUTS = { connect: 0, headersTimeout: 0, bodyTimeout: 0 } as const;

/** A `net` lookup that resolves every address of a name and keeps only those the policy allows. */
export function checkedLookup(policy: EgressPolicy): LookupFunction {
	return (hostname, options, callback) => {
		dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
			if (err) return callback(err, '', 0);
			const allowed = addresses.filter((a) => !policy.denied(a.address));
			if (!allowed.length) {
				const first = addresses[0];
				return callback(new EgressBlocked(first ? (policy.denied(first.address) ?? first.address) : hostname), '', 0);
			}
			if (options.all) (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, allowed);
			else callback(null, allowed[0]!.address, allowed[0]!.family);
		});
	};
}

/** A dispatcher for one run's requests; destroy it when the run is done. */
export async function egressAgent(policy: EgressPolicy): Promise<Agent> {
	const { Agent, buildConnector } = await undici();
	const connect = buildConnector({ timeout: AGENT_TIMEOUTS.connect, lookup: checkedLookup(policy) });
	return new Agent({
		headersTimeout: AGENT_TIMEOUTS.headersTimeout,
		bodyTimeout: AGENT_TIMEOUTS.bodyTimeout,
		connect: (opts, callback) => {
			// undici hands IPv6 literals over without brackets; the lookup never sees literals.
			const refused = net.isIP(opts.hostname) ? policy.denied(opts.hostname) : null;
			if (refused) return callback(new EgressBlocked(refused), null);
			connect(opts, callback);
		}
	});
}

type NetError = Error & { code?: string; address?: string; port?: number; hostname?: string; errors?: unknown[] };

const hostPort = (address: string, port: number | undefined) => {
	const host = net.isIPv6(address) ? `[${address}]` : address;
	return port === undefined ? host : `${host}:${port}`;
};

function describeOne(err: NetError): string {
	if (err instanceof EgressBlocked) return err.message;
	if (err.errors?.length) return [...new Set(err.errors.map((e) => describeOne(e as NetError)))].join(', ');
	const code = err.code;
	if (code && err.address) return `${code} ${hostPort(err.address, err.port)}`;
	if (code && err.hostname && (code === 'ENOTFOUND' || code === 'EAI_AGAIN')) return `${code} ${err.hostname}`;
	if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return `timed out (${code})`;
	if (code) return `${code}: ${err.message}`;
	return err.message;
}

/**
 * What went wrong with a request, by its cause: `ECONNREFUSED 127.0.0.1:9`, `ENOTFOUND host`,
 * `blocked by HTTP_JOB_DENY (169.254.169.254)`, never fetch's bare "fetch failed".
 */
export function describeNetworkError(err: unknown): string {
	if (!(err instanceof Error)) return String(err);
	const cause = (err as { cause?: unknown }).cause;
	return describeOne((cause instanceof Error ? cause : err) as NetError);
}
