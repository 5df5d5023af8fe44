--[[
  Shared by every writing script (inserted where a script says `--@include appendAudit`).

  Convention: the first three KEYS and the first five ARGV of a writing script belong to the audit
  chain of the event it appends.
    KEYS[1] audit head (HASH: seq, hash)
    KEYS[2] audit events (HASH: seq -> event JSON)
    KEYS[3] outbox (HASH: seq -> outbox JSON)
    ARGV[1] expected head seq ("0" for an empty chain)
    ARGV[2] expected head hash
    ARGV[3] hash of the new event (computed in Node: Redis Lua has no sha256)
    ARGV[4] new event JSON
    ARGV[5] new outbox record JSON

  auditHeadMoved() is the compare-and-swap: a script calls it before any write and, when true,
  returns {'head_moved'} so that Node re-reads the head and builds the event again.
]]
local function auditHeadMoved()
  local head = redis.call('HMGET', KEYS[1], 'seq', 'hash')
  local seq = head[1] or '0'
  local hash = head[2] or ARGV[2]
  if seq ~= ARGV[1] then return true end
  if seq ~= '0' and hash ~= ARGV[2] then return true end
  return false
end

local function appendAudit()
  local seq = tostring(tonumber(ARGV[1]) + 1)
  redis.call('HSET', KEYS[2], seq, ARGV[4])
  redis.call('HSET', KEYS[3], seq, ARGV[5])
  redis.call('HSET', KEYS[1], 'seq', seq, 'hash', ARGV[3])
end
