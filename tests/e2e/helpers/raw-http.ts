/**
 * Requests no HTTP client would send, over a raw socket: a body shorter than its Content-Length.
 * Resolves with everything the server wrote until it closed the connection, and how long it took.
 */
import net from 'node:net';

export async function stalledRequest(baseURL: string, method: string, path: string, headers: Record<string, string>, declaredLength: number, sent: string): Promise<{ reply: string; ms: number }> {
	const { hostname, port } = new URL(baseURL);
	const started = Date.now();
	const head = Object.entries({ host: `${hostname}:${port}`, ...headers, 'content-length': String(declaredLength) })
		.map(([k, v]) => `${k}: ${v}\r\n`)
		.join('');
	const reply = await new Promise<string>((resolve, reject) => {
		const socket = net.connect(Number(port), hostname === 'localhost' ? '127.0.0.1' : hostname, () => socket.write(`${method} ${path} HTTP/1.1\r\n${head}\r\n${sent}`));
		let text = '';
		socket.on('data', (d) => (text += d.toString()));
		socket.on('close', () => resolve(text));
		socket.on('error', reject);
		socket.setTimeout(30_000, () => socket.destroy(new Error(`no answer within 30 s; got: ${text}`)));
	});
	return { reply, ms: Date.now() - started };
}
