--[[
  Compare-and-swap update of an invitation and its org indexes (status, pending expiry, pending by
  email), with its audit event. The global token hash entries are handled around this script.

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  KEYS[4]     invitation record
  KEYS[5]     ZSET of all invitation ids by ordinal (gives the invitation's ordinal)
  KEYS[6]     ZSET of the invitation ids with the current status
  KEYS[7]     ZSET of the invitation ids with the next status (may equal KEYS[6])
  KEYS[8]     ZSET of stored-pending invitation ids scored by expiry (epoch ms)
  KEYS[9]     ZSET of stored-pending invitation ids of the current email
  KEYS[10]    ZSET of stored-pending invitation ids of the next email (may equal KEYS[9])
  ARGV[1..5]  audit arguments
  ARGV[6]     invitation id
  ARGV[7]     the invitation JSON as the caller read it
  ARGV[8]     the next invitation JSON
  ARGV[9]     '1' when the next invitation is pending
  ARGV[10]    the next expiry, epoch ms

  Returns {'ok'} | {'head_moved'} | {'conflict'}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if redis.call('GET', KEYS[4]) ~= ARGV[7] then return {'conflict'} end
local id = ARGV[6]
local ord = redis.call('ZSCORE', KEYS[5], id)
if not ord then return redis.error_reply('idsync: invitation ' .. id .. ' has no ordinal') end

redis.call('SET', KEYS[4], ARGV[8])
redis.call('ZREM', KEYS[6], id)
redis.call('ZADD', KEYS[7], ord, id)
redis.call('ZREM', KEYS[8], id)
redis.call('ZREM', KEYS[9], id)
if ARGV[9] == '1' then
  redis.call('ZADD', KEYS[8], ARGV[10], id)
  redis.call('ZADD', KEYS[10], ord, id)
end
appendAudit()
return {'ok'}
