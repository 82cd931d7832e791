-- busted output handler for spec/support/run.lua: busted's own terminal output, plus one line per
-- pending (skipped) test written to the file named by HS_PENDING_FILE, so that the runner can hold
-- every skip against spec/support/allowed_pending.lua. Lines: "<full name>\t<file>".
return function(options)
  local busted = require "busted"
  local handler = require("busted.outputHandlers.utfTerminal")(options)
  local path = os.getenv("HS_PENDING_FILE")
  local seen = {}
  busted.subscribe({ "test", "end" }, function(element, _, status)
    if status == "pending" and path then
      local name = handler.getFullName(element)
      local where = element.trace and element.trace.short_src or "?"
      seen[#seen + 1] = name:gsub("[\t\n]", " ") .. "\t" .. where
    end
    return nil, true
  end)
  busted.subscribe({ "suite", "end" }, function()
    if path then
      local f = io.open(path, "a")
      if f then
        for _, line in ipairs(seen) do f:write(line, "\n") end
        f:close()
      end
    end
    return nil, true
  end)
  return handler
end
