/**
 * A TCP proxy on loopback in front of PostgreSQL that can take the database away from one
 * instance (its pool and its LISTEN connection go through the proxy) while the server keeps
 * serving everyone else: `down()` resets every connection and refuses new ones, as a stopped
 * server does; `freeze()` stops passing bytes, as a SIGSTOPped server does.
 */
import net from 'node:net';

export type FaultProxy = {
	/** The database URL that goes through the proxy. */
	url: string;
	port: number;
	/** Reset every connection and refuse new ones (ECONNREFUSED) until `up()`. */
	down(): Promise<void>;
	up(): Promise<void>;
	/** Pass no bytes either way (connections stay open) until `thaw()`. */
	freeze(): void;
	thaw(): void;
	/** Reset every open connection once (the server stays reachable). */
	cut(): void;
	close(): Promise<void>;
};

export async function faultProxy(targetUrl: string): Promise<FaultProxy> {
	const target = new URL(targetUrl);
	const targetPort = Number(target.port || 5432);
	const targetHost = target.hostname;
	const pairs = new Set<[net.Socket, net.Socket]>();
	let frozen = false;
	const held: (() => void)[] = [];

	const pipe = (from: net.Socket, to: net.Socket) => {
		from.on('data', (chunk) => {
			if (frozen) held.push(() => to.write(chunk));
			else to.write(chunk);
		});
	};

	const onConnection = (client: net.Socket) => {
		const server = net.connect(targetPort, targetHost);
		const pair: [net.Socket, net.Socket] = [client, server];
		pairs.add(pair);
		const end = () => {
			pairs.delete(pair);
			client.destroy();
			server.destroy();
		};
		client.on('error', end).on('close', end);
		server.on('error', end).on('close', end);
		pipe(client, server);
		pipe(server, client);
	};

	let listener = net.createServer(onConnection);
	await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
	const port = (listener.address() as net.AddressInfo).port;
	const url = new URL(targetUrl);
	url.hostname = '127.0.0.1';
	url.port = String(port);

	const cut = () => {
		for (const [c, s] of pairs) {
			c.resetAndDestroy();
			s.destroy();
		}
		pairs.clear();
	};

	return {
		url: url.toString(),
		port,
		async down() {
			// close() stops accepting at once but calls back only once every connection ended.
			const closed = new Promise<void>((r) => listener.close(() => r()));
			cut();
			await closed;
		},
		async up() {
			if (listener.listening) return;
			listener = net.createServer(onConnection);
			await new Promise<void>((resolve, reject) => {
				listener.once('error', reject);
				listener.listen(port, '127.0.0.1', () => resolve());
			});
		},
		freeze() {
			frozen = true;
		},
		thaw() {
			frozen = false;
			for (const write of held.splice(0)) write();
		},
		cut,
		async close() {
			const closed = listener.listening ? new Promise<void>((r) => listener.close(() => r())) : Promise.resolve();
			cut();
			await closed;
		}
	};
}
