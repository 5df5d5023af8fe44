--[[
  Keeps the receipt of a purged org in the provider scope, with the provider audit event of the
  purge. A receipt is written once: a second one for the org is refused (the first is kept).

  KEYS[1..3]  audit chain of the event (the provider scope; see includes/appendAudit.lua)
  KEYS[4]     the receipt (JSON)
  KEYS[5]     ZSET of the receipts' org ids, by purge time (epoch ms)
  ARGV[1..5]  audit arguments
  ARGV[6]     org id
  ARGV[7]     receipt JSON
  ARGV[8]     purge time (epoch ms)

  Returns {'ok'} | {'head_moved'} | {'exists'}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if redis.call('EXISTS', KEYS[4]) == 1 then return {'exists'} end
redis.call('SET', KEYS[4], ARGV[7])
redis.call('ZADD', KEYS[5], ARGV[8], ARGV[6])
appendAudit()
return {'ok'}
