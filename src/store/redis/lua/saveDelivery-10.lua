--[[
  Inserts or replaces a webhook delivery (no audit event) and moves it between its list indexes.
  A replaced delivery keeps the ordinal of its first save. The caller passes the JSON it read (''
  when there was none); if the record no longer matches, nothing is written and the caller re-reads.
  The global due index is written around this script.

  KEYS[1]   org record (must exist unless ARGV[4] is '0')
  KEYS[2]   delivery record
  KEYS[3]   ZSET of all delivery ids by ordinal
  KEYS[4]   per-org ordinal counter
  KEYS[5]   ZSET of the delivery ids with the next status
  KEYS[6]   ZSET of the delivery ids of the next endpoint
  KEYS[7]   ZSET of the delivery ids of the next endpoint with the next status
  KEYS[8]   like KEYS[5], for the current record (any key when there is none)
  KEYS[9]   like KEYS[6], for the current record
  KEYS[10]  like KEYS[7], for the current record
  ARGV[1]   delivery id
  ARGV[2]   the delivery JSON as the caller read it, or '' when there was none
  ARGV[3]   the next delivery JSON
  ARGV[4]   '0' for the provider scope (the operator's deliveries: no org record), '1' for an org

  Returns {'ok'} | {'org_not_found'} | {'conflict'}
]]

if ARGV[4] ~= '0' and redis.call('EXISTS', KEYS[1]) == 0 then return {'org_not_found'} end
local current = redis.call('GET', KEYS[2])
if (current or '') ~= ARGV[2] then return {'conflict'} end
local id = ARGV[1]
local ord = redis.call('ZSCORE', KEYS[3], id)
if not ord then
  ord = redis.call('INCR', KEYS[4])
  redis.call('ZADD', KEYS[3], ord, id)
end
if current then
  for i = 8, 10 do redis.call('ZREM', KEYS[i], id) end
end
for i = 5, 7 do redis.call('ZADD', KEYS[i], ord, id) end
redis.call('SET', KEYS[2], ARGV[3])
return {'ok'}
