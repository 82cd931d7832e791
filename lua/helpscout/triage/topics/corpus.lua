-- helpscout.triage.topics.corpus: the first two stages of group_by_topic.
--   C = corpus.read(convs, lex, v)     stage "features": every conversation read once
--   corpus.place(C, min_score, margin) stage "place": which conversations the lexicon places,
--                                      and the document frequencies the cluster stage needs
-- The corpus keeps per-conversation results in flat arrays indexed by conversation d = 1..N
-- (C.conv, C.best, C.bi, C.placed, C.lang: the customer's language or false) and by ranges:
-- lexicon scores SC[(d-1)*ntop + ti] (false: none); theme terms TT/TW[ts[d] .. ts[d+1]-1]
-- with their weights; every usable term AT[as[d] .. as[d+1]-1]; lexicon keyword hits
-- HK/HT[hs[d] .. hs[d+1]-1]. Flat because the
-- bench says they pay: with one table per conversation for each of these (terms, weights,
-- usable terms, hits, scores) group_by_topic over bench/triage_bench.lua's 10,000 conversations
-- took about 550 ms instead of 485 ms under Lua 5.4 (13% slower: allocation and collector
-- work); the later stages only ever walk these ranges.
local features = require "helpscout.triage.topics.features"
local lexicon = require "helpscout.triage.topics.lexicon"

local type, pairs, error = type, pairs, error

local _M = {}

-- Candidate theme terms of one token array (subject, customer text, a tag) into the corpus:
-- usable terms (not stop words, numbers or people's names) go to AT once per conversation;
-- those the lexicon does not know go to TT once, at their highest weight w.
local function add_terms(C, f, arr, n, w)
  local names, d, term_ok, known = f.names, f.mark, C.vocab.term_ok, C.known
  local TT, TW, AT, tseen, aseen, ok = C.TT, C.TW, C.AT, C.tseen, C.aseen, C.term_ok
  local tstart, affix = C.ts[d], f.affix
  for i = 1, n do
    local t = arr[i]
    -- term_ok's verdicts cached here: one call per distinct stem, not per token
    local tok = ok[t]
    if tok == nil then tok = term_ok(t); ok[t] = tok end
    if tok and names[t] ~= d then
      if aseen[t] ~= d then aseen[t] = d; C.an = C.an + 1; AT[C.an] = t end
      if not known[t] and not (affix and lexicon.affix_known(f, t)) then
        local k = tseen[t]
        if k and k >= tstart then
          if TW[k] < w then TW[k] = w end
        else
          local tn = C.tn + 1
          C.tn = tn; TT[tn] = t; TW[tn] = w; tseen[t] = tn
        end
      end
    end
  end
end

-- One conversation: its features, lexicon scores and hits, and theme terms.
local function read_one(C, d, conv, f, score, hits)
  local lex, ntop = C.lex, C.ntop
  f.mark = d
  features.read(conv, f, C.vocab)
  for ti = 1, ntop do score[ti] = nil end
  local _, best, second, bi = lexicon.score(lex, f, C.vocab.tokens, score, hits)
  local SC, base = C.SC, (d - 1) * ntop
  for ti = 1, ntop do SC[base + ti] = score[ti] or false end
  C.hs[d] = C.hn + 1
  for kw, ti in pairs(hits) do
    C.hn = C.hn + 1; C.HK[C.hn] = kw; C.HT[C.hn] = ti; hits[kw] = nil
  end
  C.ts[d], C.as[d] = C.tn + 1, C.an + 1
  add_terms(C, f, f.subject_tokens, f.subject_n, 1)
  add_terms(C, f, f.cust, f.cust_n, 1)
  local tags, toks = f.tags, C.tag_tokens
  for i = 1, #tags do
    if not lexicon.NON_TOPIC_TAGS[tags[i]] then
      add_terms(C, f, toks, C.vocab.tokens(tags[i], toks, 0), 3)
    end
  end
  C.conv[d], C.best[d], C.second[d], C.bi[d], C.lang[d] = conv, best, second, bi or false, f.lang or false
end

function _M.read(convs, lex, v)
  local N = #convs
  local C = { N = N, lex = lex, ntop = #lex.topics, known = lex.known, vocab = v,
    conv = {}, best = {}, second = {}, bi = {}, placed = {}, SC = {}, lang = {},
    TT = {}, TW = {}, ts = {}, tn = 0, AT = {}, as = {}, an = 0, HK = {}, HT = {}, hs = {}, hn = 0,
    tseen = {}, aseen = {}, term_ok = {}, tag_tokens = {} }
  local f, score, hits = { names = {} }, {}, {}
  for d = 1, N do
    local conv = convs[d]
    if type(conv) ~= "table" then
      error(("bad argument #1 to 'group_by_topic' (conversation #%d is a %s)"):format(d, type(conv)), 3)
    end
    read_one(C, d, conv, f, score, hits)
  end
  C.ts[N + 1], C.as[N + 1], C.hs[N + 1] = C.tn + 1, C.an + 1, C.hn + 1
  C.tseen, C.aseen, C.term_ok, C.tag_tokens = nil, nil, nil, nil
  return C
end

-- A conversation is placed when its best lexicon topic wins clearly: score >= min_score and
-- >= margin times the runner-up. df[t]: conversations with theme term t; udf[t]: unplaced ones.
function _M.place(C, min_score, margin)
  local df, udf, placed, TT, ts = {}, {}, C.placed, C.TT, C.ts
  local unplaced = 0
  for d = 1, C.N do
    local p = C.bi[d] and C.best[d] >= min_score and C.best[d] >= C.second[d] * margin or false
    placed[d] = p
    if not p then unplaced = unplaced + 1 end
    for i = ts[d], ts[d + 1] - 1 do
      local t = TT[i]
      df[t] = (df[t] or 0) + 1
      if not p then udf[t] = (udf[t] or 0) + 1 end
    end
  end
  C.df, C.udf, C.unplaced = df, udf, unplaced
end

return _M
