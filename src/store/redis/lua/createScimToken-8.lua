--[[
  Creates a SCIM token record of an org, refusing when the org already has ARGV[8] live tokens,
  with its audit event. The global hash -> token index entry is written before this script runs
  (see credentials.ts: lookups only trust it when this record exists).

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  KEYS[4]     org record (must exist)
  KEYS[5]     token record
  KEYS[6]     ZSET of the org's token ids by ordinal
  KEYS[7]     SET of the org's unrevoked token ids
  KEYS[8]     per-org ordinal counter
  ARGV[1..5]  audit arguments
  ARGV[6]     token id
  ARGV[7]     token JSON
  ARGV[8]     the most live tokens allowed
  ARGV[9]     '1' when the new token is live (not created revoked)

  Returns {'ok'} | {'head_moved'} | {'org_not_found'} | {'exists'} | {'limit_reached', <live count>}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if redis.call('EXISTS', KEYS[4]) == 0 then return {'org_not_found'} end
if redis.call('EXISTS', KEYS[5]) == 1 then return {'exists'} end
local live = redis.call('SCARD', KEYS[7])
if live >= tonumber(ARGV[8]) then return {'limit_reached', live} end
local ord = redis.call('INCR', KEYS[8])
redis.call('SET', KEYS[5], ARGV[7])
redis.call('ZADD', KEYS[6], ord, ARGV[6])
if ARGV[9] == '1' then redis.call('SADD', KEYS[7], ARGV[6]) end
appendAudit()
return {'ok'}
