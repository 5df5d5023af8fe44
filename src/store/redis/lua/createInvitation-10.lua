--[[
  Creates an invitation with its audit event. For a pending invitation, the duplicate check (a
  pending, unexpired invitation for the same email) and the pending cap (pending invitations
  unexpired at `now`) are decided here, atomically with the write. The global token hash entry is
  written before this script runs (lookups only trust it when this record carries that hash).

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  KEYS[4]     org record (must exist)
  KEYS[5]     invitation record
  KEYS[6]     ZSET of all invitation ids by ordinal
  KEYS[7]     ZSET of the invitation ids with the new invitation's status
  KEYS[8]     ZSET of stored-pending invitation ids scored by expiry (epoch ms)
  KEYS[9]     ZSET of stored-pending invitation ids of the new invitation's email, by ordinal
  KEYS[10]    per-org ordinal counter
  ARGV[1..5]  audit arguments
  ARGV[6]     invitation id
  ARGV[7]     invitation JSON
  ARGV[8]     '1' when the invitation is pending (checked and indexed as such)
  ARGV[9]     its expiry, epoch ms
  ARGV[10]    now, epoch ms (an invitation expiring at or before now is expired)
  ARGV[11]    the most pending, unexpired invitations the org may have

  Returns {'ok'} | {'head_moved'} | {'org_not_found'} | {'exists'} | {'duplicate'} | {'cap_reached', <pending count>}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if redis.call('EXISTS', KEYS[4]) == 0 then return {'org_not_found'} end
if redis.call('EXISTS', KEYS[5]) == 1 then return {'exists'} end
local id = ARGV[6]
local pending = ARGV[8] == '1'
if pending then
  local now = tonumber(ARGV[10])
  for _, other in ipairs(redis.call('ZRANGE', KEYS[9], 0, -1)) do
    local expiry = redis.call('ZSCORE', KEYS[8], other)
    if expiry and tonumber(expiry) > now then return {'duplicate'} end
  end
  local live = redis.call('ZCOUNT', KEYS[8], '(' .. ARGV[10], '+inf')
  if live >= tonumber(ARGV[11]) then return {'cap_reached', live} end
end

local ord = redis.call('INCR', KEYS[10])
redis.call('SET', KEYS[5], ARGV[7])
redis.call('ZADD', KEYS[6], ord, id)
redis.call('ZADD', KEYS[7], ord, id)
if pending then
  redis.call('ZADD', KEYS[8], ARGV[9], id)
  redis.call('ZADD', KEYS[9], ord, id)
end
appendAudit()
return {'ok'}
