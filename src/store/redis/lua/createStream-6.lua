--[[
  Creates a Shared Signals stream in its scope (an org, or the provider scope, which has no org
  record) with its audit event.

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  KEYS[4]     org record (must exist when ARGV[9] is '1')
  KEYS[5]     the stream record
  KEYS[6]     ZSET of the scope's stream ids, by the global stream ordinal
  ARGV[1..5]  audit arguments
  ARGV[6]     stream id
  ARGV[7]     stream JSON
  ARGV[8]     the global ordinal to list it under
  ARGV[9]     '1' when the scope is an org that must exist, '0' for the provider scope

  Returns {'ok'} | {'head_moved'} | {'org_not_found'} | {'exists'}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if ARGV[9] == '1' and redis.call('EXISTS', KEYS[4]) == 0 then return {'org_not_found'} end
if redis.call('EXISTS', KEYS[5]) == 1 then return {'exists'} end
redis.call('SET', KEYS[5], ARGV[7])
redis.call('ZADD', KEYS[6], ARGV[8], ARGV[6])
appendAudit()
return {'ok'}
