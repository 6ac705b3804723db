-- Channel secrets sealed with the server's key (notify/secrets.ts). `config` keeps the rest with
-- the secret fields masked; rows written before this migration are sealed by the server's
-- start-up pass (ChannelStore.reseal), which also reseals rows after a key rotation.
ALTER TABLE notify_channels ADD COLUMN secrets text;
