-- helpscout.triage.lang.list: the supported languages, in tie-break order, and their data.
-- Adding a language is writing lua/helpscout/triage/lang/<code>.lua (see doc/triage-languages.md)
-- and its code here; English's data (en.lua) holds only its stop words: its topics are
-- helpscout.triage.lexicon and its reply templates helpscout.triage.drafts.
local _M = { codes = { "en", "de", "fr", "es", "pt", "nl", "it", "ja" } }

function _M.load(code)
  return require("helpscout.triage.lang." .. code)
end

return _M
