--[[
  Compare-and-swap update of many members of one org with their audit events, all or nothing: every
  check (chain head, each record as read, userNames, the last active owner) runs before the first
  write, over the batch as applied in item order.

  KEYS[1..3]  audit chain of the org (head, events, outbox: see includes/appendAudit.lua)
  KEYS[4]     ZSET of all members by ordinal
  KEYS[5]     HASH userNameKey -> member id
  KEYS[6]     SET of active owner ids
  KEYS[7..]   per item, in order: member record, ZSET of the current status and role, ZSET of the
              next status and role, then the item's lookup index ZSETs to leave, then to join
  ARGV[1]     expected head seq ("0" for an empty chain)
  ARGV[2]     expected head hash
  ARGV[3]     hash of the batch's last event (the new head)
  ARGV[4]     number of items
  ARGV[5..]   per item, 11 values: member id, the member JSON as read, the next member JSON, current
              userNameKey ('' when removed), next userNameKey ('' when removed), '1' when the write
              turns an active owner into anything else, '1' when the next record is an active owner,
              lookup keys to leave, lookup keys to join, event JSON, outbox JSON

  Returns {'ok'} | {'head_moved'} | {'conflict'} | {'user_name_taken', item} | {'last_owner', item}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
local n = tonumber(ARGV[4])
local items = {}
local k, a = 7, 5
for i = 1, n do
  local it = {
    key = KEYS[k], curSet = KEYS[k + 1], nextSet = KEYS[k + 2],
    id = ARGV[a], raw = ARGV[a + 1], next = ARGV[a + 2], curName = ARGV[a + 3], nextName = ARGV[a + 4],
    loses = ARGV[a + 5] == '1', owner = ARGV[a + 6] == '1', leave = tonumber(ARGV[a + 7]), join = tonumber(ARGV[a + 8]),
    event = ARGV[a + 9], outbox = ARGV[a + 10], firstKey = k + 3,
  }
  items[i] = it
  k = k + 3 + it.leave + it.join
  a = a + 11
end

-- Checks, with the batch's own changes to userNames and owners seen by the items after them.
local names = {}
local owners = redis.call('SCARD', KEYS[6])
local isOwner = {}
for i, it in ipairs(items) do
  if redis.call('GET', it.key) ~= it.raw then return {'conflict'} end
  if it.curName ~= '' and it.curName ~= it.nextName then names[it.curName] = false end
  if it.nextName ~= '' then
    local holder = names[it.nextName]
    if holder == nil then holder = redis.call('HGET', KEYS[5], it.nextName) end
    if holder and holder ~= it.id then return {'user_name_taken', i} end
    names[it.nextName] = it.id
  end
  local was = isOwner[it.id]
  if was == nil then was = redis.call('SISMEMBER', KEYS[6], it.id) == 1 end
  if it.loses and owners - (was and 1 or 0) < 1 then return {'last_owner', i} end
  if it.owner and not was then owners = owners + 1 end
  if not it.owner and was then owners = owners - 1 end
  isOwner[it.id] = it.owner
  it.ord = redis.call('ZSCORE', KEYS[4], it.id)
  if not it.ord then return redis.error_reply('idsync: member ' .. it.id .. ' has no ordinal') end
end

local seq = tonumber(ARGV[1])
for _, it in ipairs(items) do
  redis.call('SET', it.key, it.next)
  redis.call('ZREM', it.curSet, it.id)
  redis.call('ZADD', it.nextSet, it.ord, it.id)
  if it.curName ~= '' and redis.call('HGET', KEYS[5], it.curName) == it.id then redis.call('HDEL', KEYS[5], it.curName) end
  if it.nextName ~= '' then redis.call('HSET', KEYS[5], it.nextName, it.id) end
  if it.owner then redis.call('SADD', KEYS[6], it.id) else redis.call('SREM', KEYS[6], it.id) end
  for j = it.firstKey, it.firstKey + it.leave - 1 do redis.call('ZREM', KEYS[j], it.id) end
  for j = it.firstKey + it.leave, it.firstKey + it.leave + it.join - 1 do redis.call('ZADD', KEYS[j], it.ord, it.id) end
  seq = seq + 1
  redis.call('HSET', KEYS[2], tostring(seq), it.event)
  redis.call('HSET', KEYS[3], tostring(seq), it.outbox)
end
redis.call('HSET', KEYS[1], 'seq', tostring(seq), 'hash', ARGV[3])
return {'ok'}
