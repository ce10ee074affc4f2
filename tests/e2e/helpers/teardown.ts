import fs from 'node:fs/promises';

/** Removes the throw-away DATA_DIR once the web server has stopped. */
export default async function teardown() {
	const dir = process.env.E2E_DATA_DIR;
	if (dir) await fs.rm(dir, { recursive: true, force: true });
}
