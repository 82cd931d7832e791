-- The only tests that may end as pending (skipped) in a `make test` run. spec/support/run.lua fails
-- the run when any other test is pending: a skip must be decided here, in review, never by a probe
-- at run time. Each entry: name (a Lua pattern matched against busted's full test name, anchored),
-- interp (the run mode it applies to: "luajit", "lua5.4", ...; "*" for all) and why (required).
return {
  {
    name = "^triage field projection lists every member the triage functions read$",
    interp = "luajit",
    why = "triage_fields_spec's recorder needs the __len metamethod on tables (Lua 5.2+); "
      .. "LuaJIT (5.1 semantics) ignores it, so the test cannot observe reads there",
  },
  {
    name = "^hs:changes across processes %(helpscout watch%)",
    interp = "luajit",
    why = "the proof's consumers and writer are bin/helpscout processes (lua5.4) whichever interpreter "
      .. "runs busted: it runs once, in the lua5.4 run (HS_CHANGES_JIT=1 runs it under LuaJIT too)",
  },
}
