-- Device-session ids are the credential of heartbeat and end: store only their SHA-256 (hex),
-- as the app now looks them up. Ids as issued start with "ds_"; hashes are hex, so this runs once.
UPDATE "device_session" SET "id" = encode(sha256(convert_to("id", 'UTF8')), 'hex') WHERE "id" LIKE 'ds\_%';
