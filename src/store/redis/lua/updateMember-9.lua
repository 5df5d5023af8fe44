--[[
  Compare-and-swap update of a member and every index it is in, with its audit event. Refuses a
  taken userName and the loss of the org's last active owner, atomically with the write.

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  KEYS[4]     member record
  KEYS[5]     ZSET of all members by ordinal (gives the member's ordinal)
  KEYS[6]     ZSET of members with the current status and role
  KEYS[7]     ZSET of members with the next status and role (may equal KEYS[6])
  KEYS[8]     HASH userNameKey -> member id
  KEYS[9]     SET of active owner ids
  KEYS[10..]  first ARGV[13] keys: lookup index ZSETs (externalId, emails, identities) to leave
              (the current record's); the rest: lookup index ZSETs to join (the next record's)
  ARGV[1..5]  audit arguments
  ARGV[6]     member id
  ARGV[7]     the member JSON as the caller read it
  ARGV[8]     the next member JSON
  ARGV[9]     current userNameKey, or '' when the current record is removed
  ARGV[10]    next userNameKey, or '' when the next record is removed
  ARGV[11]    '1' when the write turns an active owner into anything else
  ARGV[12]    '1' when the next record is an active owner
  ARGV[13]    number of lookup index keys to leave

  Returns {'ok'} | {'head_moved'} | {'conflict'} | {'user_name_taken'} | {'last_owner'}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if redis.call('GET', KEYS[4]) ~= ARGV[7] then return {'conflict'} end
local id = ARGV[6]
if ARGV[10] ~= '' then
  local holder = redis.call('HGET', KEYS[8], ARGV[10])
  if holder and holder ~= id then return {'user_name_taken'} end
end
if ARGV[11] == '1' then
  local others = redis.call('SCARD', KEYS[9]) - redis.call('SISMEMBER', KEYS[9], id)
  if others < 1 then return {'last_owner'} end
end
local ord = redis.call('ZSCORE', KEYS[5], id)
if not ord then return redis.error_reply('idsync: member ' .. id .. ' has no ordinal') end

redis.call('SET', KEYS[4], ARGV[8])
redis.call('ZREM', KEYS[6], id)
redis.call('ZADD', KEYS[7], ord, id)
if ARGV[9] ~= '' and redis.call('HGET', KEYS[8], ARGV[9]) == id then redis.call('HDEL', KEYS[8], ARGV[9]) end
if ARGV[10] ~= '' then redis.call('HSET', KEYS[8], ARGV[10], id) end
if ARGV[12] == '1' then redis.call('SADD', KEYS[9], id) else redis.call('SREM', KEYS[9], id) end
local leave = tonumber(ARGV[13])
for i = 10, 9 + leave do redis.call('ZREM', KEYS[i], id) end
for i = 10 + leave, #KEYS do redis.call('ZADD', KEYS[i], ord, id) end
appendAudit()
return {'ok'}
