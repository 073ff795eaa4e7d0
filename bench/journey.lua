-- The parent's journey for wrk (bench/portal_speed.py writes the `parents` table above this line):
-- for each parent in turn, the JSON week, a basket change, then the validation, in rounds. A
-- round takes every parent's week, then every parent's change, then every validation, so that a
-- parent's three requests are rarely in flight at once even with 32 connections. Even rounds make
-- the parent's first change (book a free day, cancel a booked one), odd rounds undo it.
local threads = {}
local counter = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  rounds = 0
end

function request()
  local n = #parents
  local round = math.floor(counter / (3 * n))
  local position = counter % (3 * n)
  local step = math.floor(position / n)
  local parent = parents[(position % n) + 1]
  counter = counter + 1
  rounds = round + 1
  local headers = {
    ["Cookie"] = parent.cookie,
    ["X-CSRFToken"] = parent.csrf,
    ["Referer"] = "http://127.0.0.1/",
  }
  if step == 0 then
    return wrk.format("GET", parent.week, headers)
  end
  headers["Content-Type"] = "application/json"
  if step == 1 then
    local body = (round % 2 == 0) and parent.first or parent.second
    return wrk.format("POST", "/api/v1/basket/items/", headers, body)
  end
  return wrk.format("POST", "/api/v1/basket/validate/", headers, "{}")
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  local issued = 0
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("statuses")) do
      total[key] = (total[key] or 0) + count
    end
    issued = issued + thread:get("rounds")
  end
  for key, count in pairs(total) do
    io.write(string.format("journey-status %s: %d\n", key, count))
  end
  io.write(string.format("journey-rounds: %d\n", issued))
end
