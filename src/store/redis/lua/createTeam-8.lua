--[[
  Creates a team, enforcing a unique (case-insensitive) displayName per org, with its audit event.

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  KEYS[4]     org record (must exist)
  KEYS[5]     team record
  KEYS[6]     ZSET of all teams by ordinal
  KEYS[7]     HASH teamNameKey -> team id
  KEYS[8]     per-org ordinal counter
  ARGV[1..5]  audit arguments
  ARGV[6]     team id
  ARGV[7]     team JSON
  ARGV[8]     teamNameKey

  Returns {'ok'} | {'head_moved'} | {'org_not_found'} | {'exists'} | {'name_taken'}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if redis.call('EXISTS', KEYS[4]) == 0 then return {'org_not_found'} end
if redis.call('EXISTS', KEYS[5]) == 1 then return {'exists'} end
if redis.call('HEXISTS', KEYS[7], ARGV[8]) == 1 then return {'name_taken'} end
local ord = redis.call('INCR', KEYS[8])
redis.call('SET', KEYS[5], ARGV[7])
redis.call('ZADD', KEYS[6], ord, ARGV[6])
redis.call('HSET', KEYS[7], ARGV[8], ARGV[6])
appendAudit()
return {'ok'}
