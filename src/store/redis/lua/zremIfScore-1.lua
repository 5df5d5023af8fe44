--[[
  Removes a sorted set member only if it still has the score the caller read (the due-deliveries
  index drops an entry whose delivery is no longer pending; a writer that rescheduled it in between
  changed the score, so its entry stays).

  KEYS[1]  the sorted set
  ARGV[1]  member
  ARGV[2]  expected score

  Returns {'ok', 1} when removed, else {'ok', 0}
]]

local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then return {'ok', redis.call('ZREM', KEYS[1], ARGV[1])} end
return {'ok', 0}
