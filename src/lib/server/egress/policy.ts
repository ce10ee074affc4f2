/**
 * Where `http` jobs may connect (README.md#egress-of-http-jobs): every address is checked against
 * HTTP_JOB_DENY unless HTTP_JOB_ALLOW exempts it. Addresses are parsed and normalised by ipaddr.js
 * (`127.1`, `2130706433`, `0x7f000001` and `::ffff:127.0.0.1` are all 127.0.0.1) before matching.
 */
import ipaddr from 'ipaddr.js';

/** Link-local (cloud metadata at 169.254.169.254), AWS's IPv6 metadata, Alibaba's, and "this host". */
export const DEFAULT_HTTP_JOB_DENY = '169.254.0.0/16,fe80::/10,fd00:ec2::254/128,100.100.100.200/32,0.0.0.0/8';

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** A comma-separated list of CIDRs (a bare address counts as /32 or /128); throws naming a bad entry. */
export function parseCidrList(text: string): Cidr[] {
	return text
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean)
		.map((entry) => {
			try {
				if (entry.includes('/')) return ipaddr.parseCIDR(entry);
				const ip = ipaddr.parse(entry);
				return [ip, ip.kind() === 'ipv4' ? 32 : 128] as Cidr;
			} catch {
				throw new Error(`"${entry}" is not an IP address or CIDR range`);
			}
		});
}

/** An address in canonical form, IPv4-mapped IPv6 turned into IPv4; null for anything else. */
export function normaliseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
	const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
	return ipaddr.isValid(bare) ? ipaddr.process(bare) : null;
}

export class EgressPolicy {
	constructor(
		readonly deny: readonly Cidr[],
		readonly allow: readonly Cidr[] = []
	) {}

	static fromLists(deny: string, allow = ''): EgressPolicy {
		return new EgressPolicy(parseCidrList(deny), parseCidrList(allow));
	}

	/** The address in canonical form when the policy refuses it, else null. */
	denied(address: string): string | null {
		const ip = normaliseAddress(address);
		if (!ip) return null;
		const within = (list: readonly Cidr[]) => list.some(([range, bits]) => range.kind() === ip.kind() && ip.match(range, bits));
		return within(this.deny) && !within(this.allow) ? ip.toString() : null;
	}

	/** For a URL whose host is an IP literal in any notation: the address if refused, else null. */
	deniedLiteral(url: URL): string | null {
		return this.denied(url.hostname);
	}
}

/** Thrown at connect time for a refused address (the run fails with this message). */
export class EgressBlocked extends Error {
	override name = 'EgressBlocked';
	readonly code = 'EGRESS_BLOCKED';
	constructor(readonly address: string) {
		super(`blocked by HTTP_JOB_DENY (${address})`);
	}
}
