/**
 * A value bound as JSON (`sql.json(jsonValue(v))`, or in an array for `jsonb[]`). postgres.js
 * serialises whatever JSON.stringify takes, but types only `JSONValue`; job params, handler
 * results and audit snapshots are `unknown`-shaped by design, so this is the one place that
 * says so. Everything else bound to a statement (the arrays for unnest() included) is typed
 * as it is.
 */
import type { JSONValue } from 'postgres';

export const jsonValue = (value: unknown): JSONValue => value as JSONValue;
