-- helpscout.cli.out: display width over UTF-8 code points, cutting and padding by columns.
local out = require "helpscout.cli.out"

describe("cli.out display width", function()
  it("counts CJK and emoji as two columns, combining marks and joiners as none", function()
    assert.are.equal(3, out.width("abc"))
    assert.are.equal(4, out.width("日本"))
    assert.are.equal(6, out.width("한국어"))
    assert.are.equal(2, out.width("👍"))
    assert.are.equal(1, out.width("e\204\129")) -- e + U+0301 combining acute
    assert.are.equal(6, out.width("Zoë 😀"))
    assert.are.equal(4, out.width("ＡＢ")) -- fullwidth forms
    assert.are.equal(2, out.width("👩\226\128\141")) -- woman + ZWJ
    assert.are.equal(0, out.width(""))
    assert.are.equal(2, out.width("\255x")) -- an invalid byte counts as one column
  end)

  it("cuts and pads by columns, never inside a character", function()
    assert.are.equal("日本…", out.fit("日本語です", 5))
    assert.are.equal("日本…", out.fit("日本語です", 6)) -- 語 would need columns 5 and 6, "…" the 6th
    assert.are.equal("abc", out.fit("abc", 3))
    assert.are.equal("日本  ", out.pad("日本", 6))
    assert.are.equal("  日本", out.pad("日本", 6, true))
    local t = out.table({ { n = "日本" }, { n = "ab" } }, { { "NAME", "n" }, { "X", function() return "x" end } })
    local lines = {}
    for l in t:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.are.same({ "NAME  X", "日本  x", "ab    x" }, lines)
  end)
end)
